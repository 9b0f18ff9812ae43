//! KQL geospatial scalar functions (geohash, S2 cells, spherical distance).
//!
//! Everything here is plain Rust over plain values; the KQL wiring (argument
//! coercion, null propagation, dynamic conversion) lives elsewhere.
//!
//! Conventions:
//! * Coordinates are WGS-84 degrees; longitude must be in [-180, 180] and
//!   latitude in [-90, 90], otherwise the result is `None`.
//! * Functions whose KQL result type is `string` return `Option<String>`;
//!   `None` is what Kusto prints as an empty string.
//! * Functions whose KQL result type is `dynamic` return
//!   `Option<serde_json::Value>` (GeoJSON, longitude first).
//! * Distances are measured on a sphere of radius 6,371,010 m (the radius
//!   that reproduces Kusto's documented outputs).

use serde_json::{Value, json};
use std::f64::consts::PI;

/// Earth radius (meters) of the sphere Kusto measures distances on.
pub const EARTH_RADIUS_M: f64 = 6_371_010.0;

fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

fn point_json(lon: f64, lat: f64) -> Value {
    json!({ "type": "Point", "coordinates": [lon, lat] })
}

fn polygon_json(ring: &[[f64; 2]]) -> Value {
    let coords: Vec<Value> = ring.iter().map(|p| json!([p[0], p[1]])).collect();
    json!({ "type": "Polygon", "coordinates": [coords] })
}

/// Unit vector for a (lon, lat) in degrees.
fn lon_lat_to_xyz(lon: f64, lat: f64) -> [f64; 3] {
    let (phi, theta) = (lat.to_radians(), lon.to_radians());
    let c = phi.cos();
    [theta.cos() * c, theta.sin() * c, phi.sin()]
}

/// (lon, lat) in degrees of a (not necessarily unit) vector.
fn xyz_to_lon_lat(p: [f64; 3]) -> (f64, f64) {
    let lat = p[2].atan2((p[0] * p[0] + p[1] * p[1]).sqrt());
    let lon = p[1].atan2(p[0]);
    (lon * (180.0 / PI), lat * (180.0 / PI))
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Central angle (radians) between two unit vectors.
fn central_angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

// ---------------------------------------------------------------------------
// Distance / circle / angle
// ---------------------------------------------------------------------------

/// KQL `geo_distance_2points(p1_lon, p1_lat, p2_lon, p2_lat)`: spherical distance in meters.
pub fn distance_2points(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    if !valid_lon_lat(lon1, lat1) || !valid_lon_lat(lon2, lat2) {
        return None;
    }
    let a = lon_lat_to_xyz(lon1, lat1);
    let b = lon_lat_to_xyz(lon2, lat2);
    Some(central_angle(a, b) * EARTH_RADIUS_M)
}

/// KQL `geo_point_in_circle(p_lon, p_lat, pc_lon, pc_lat, c_radius)`: whether the point lies in the spherical cap.
pub fn point_in_circle(lon: f64, lat: f64, c_lon: f64, c_lat: f64, radius_m: f64) -> Option<bool> {
    if !radius_m.is_finite() || radius_m <= 0.0 {
        return None;
    }
    let d = distance_2points(lon, lat, c_lon, c_lat)?;
    Some(d <= radius_m)
}

/// Initial great-circle bearing (radians, clockwise from north) from 1 to 2.
fn bearing(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x)
}

fn same_or_antipodal(a: [f64; 3], b: [f64; 3]) -> bool {
    let c = norm(cross(a, b));
    c <= 1e-15
}

/// KQL `geo_angle(p1_lon, p1_lat, p2_lon, p2_lat, p3_lon, p3_lat)`: clockwise angle in radians [0, 2pi) between lines [p1,p2] and [p2,p3].
pub fn angle(lon1: f64, lat1: f64, lon2: f64, lat2: f64, lon3: f64, lat3: f64) -> Option<f64> {
    if !valid_lon_lat(lon1, lat1) || !valid_lon_lat(lon2, lat2) || !valid_lon_lat(lon3, lat3) {
        return None;
    }
    let (a, b, c) =
        (lon_lat_to_xyz(lon1, lat1), lon_lat_to_xyz(lon2, lat2), lon_lat_to_xyz(lon3, lat3));
    if same_or_antipodal(a, b) || same_or_antipodal(b, c) {
        return None;
    }
    let to_p1 = bearing(lon2, lat2, lon1, lat1);
    let to_p3 = bearing(lon2, lat2, lon3, lat3);
    let mut r = (to_p3 - to_p1).rem_euclid(2.0 * PI);
    if r >= 2.0 * PI {
        r = 0.0;
    }
    Some(r)
}

// ---------------------------------------------------------------------------
// Geohash
// ---------------------------------------------------------------------------

const GEOHASH_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

fn geohash_char_value(c: u8) -> Option<u64> {
    GEOHASH_ALPHABET.iter().position(|&a| a == c).map(|p| p as u64)
}

/// KQL `geo_point_to_geohash(lon, lat, accuracy = 5)`: geohash string (accuracy 1..18).
pub fn point_to_geohash(lon: f64, lat: f64, accuracy: i64) -> Option<String> {
    if !valid_lon_lat(lon, lat) || !(1..=18).contains(&accuracy) {
        return None;
    }
    let (mut lon_lo, mut lon_hi) = (-180.0_f64, 180.0_f64);
    let (mut lat_lo, mut lat_hi) = (-90.0_f64, 90.0_f64);
    let mut out = String::with_capacity(accuracy as usize);
    let mut even = true;
    for _ in 0..accuracy {
        let mut v = 0usize;
        for _ in 0..5 {
            v <<= 1;
            if even {
                let mid = (lon_lo + lon_hi) / 2.0;
                if lon >= mid {
                    v |= 1;
                    lon_lo = mid;
                } else {
                    lon_hi = mid;
                }
            } else {
                let mid = (lat_lo + lat_hi) / 2.0;
                if lat >= mid {
                    v |= 1;
                    lat_lo = mid;
                } else {
                    lat_hi = mid;
                }
            }
            even = !even;
        }
        out.push(GEOHASH_ALPHABET[v] as char);
    }
    Some(out)
}

/// Bounds of a geohash: (lon_min, lat_min, lon_max, lat_max).
fn geohash_bounds(hash: &str) -> Option<(f64, f64, f64, f64)> {
    let bytes = hash.as_bytes();
    if bytes.is_empty() || bytes.len() > 18 {
        return None;
    }
    let (mut lon_lo, mut lon_hi) = (-180.0_f64, 180.0_f64);
    let (mut lat_lo, mut lat_hi) = (-90.0_f64, 90.0_f64);
    let mut even = true;
    for &c in bytes {
        let v = geohash_char_value(c)?;
        for bit in (0..5).rev() {
            let set = (v >> bit) & 1 == 1;
            if even {
                let mid = (lon_lo + lon_hi) / 2.0;
                if set {
                    lon_lo = mid;
                } else {
                    lon_hi = mid;
                }
            } else {
                let mid = (lat_lo + lat_hi) / 2.0;
                if set {
                    lat_lo = mid;
                } else {
                    lat_hi = mid;
                }
            }
            even = !even;
        }
    }
    Some((lon_lo, lat_lo, lon_hi, lat_hi))
}

/// KQL `geo_geohash_to_central_point(geohash)`: GeoJSON point at the center of the geohash rectangle.
pub fn geohash_to_central_point(hash: &str) -> Option<Value> {
    let (x0, y0, x1, y1) = geohash_bounds(hash)?;
    Some(point_json((x0 + x1) / 2.0, (y0 + y1) / 2.0))
}

/// KQL `geo_geohash_to_polygon(geohash)`: GeoJSON polygon of the geohash rectangle (counterclockwise from south-west).
pub fn geohash_to_polygon(hash: &str) -> Option<Value> {
    let (x0, y0, x1, y1) = geohash_bounds(hash)?;
    Some(polygon_json(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]))
}

/// KQL `geo_geohash_neighbors(geohash)`: array of the (up to 8) neighbouring geohashes.
///
/// Longitude wraps around the antimeridian; neighbours beyond a pole are
/// omitted. The order reproduces Kusto's (see `hash_set_order`).
pub fn geohash_neighbors(hash: &str) -> Option<Value> {
    let (x0, y0, x1, y1) = geohash_bounds(hash)?;
    let (w, h) = (x1 - x0, y1 - y0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let len = hash.len() as i64;
    let mut generated: Vec<String> = Vec::with_capacity(8);
    // Row-major from the north-west corner.
    for dy in [1.0, 0.0, -1.0] {
        for dx in [-1.0, 0.0, 1.0] {
            if dx == 0.0 && dy == 0.0 {
                continue;
            }
            let lat = cy + dy * h;
            if !(-90.0..=90.0).contains(&lat) {
                continue;
            }
            let mut lon = cx + dx * w;
            if lon > 180.0 {
                lon -= 360.0;
            } else if lon < -180.0 {
                lon += 360.0;
            }
            let n = point_to_geohash(lon, lat, len)?;
            if n != hash {
                generated.push(n);
            }
        }
    }
    Some(strings_value(hash_set_order(generated)))
}

fn strings_value(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Deduplicates `items` and returns them in the iteration order of a hash set
/// of strings with the layout Kusto's neighbour functions exhibit: FNV-1a
/// hashing, 8 initial buckets (x8 growth past a load factor of 1), elements
/// kept in one list grouped by bucket, a new element going to the end of the
/// list when its bucket is empty and in front of its bucket's group otherwise.
/// This reproduces the documented `geo_geohash_neighbors` and
/// `geo_s2cell_neighbors` outputs from natural generation orders.
fn hash_set_order(items: Vec<String>) -> Vec<String> {
    let mut buckets: u64 = 8;
    let mut list: Vec<(u64, String)> = Vec::with_capacity(items.len());
    for item in items {
        if list.iter().any(|(_, s)| *s == item) {
            continue;
        }
        if list.len() as u64 + 1 > buckets {
            buckets *= if buckets < 512 { 8 } else { 2 };
            // Rehash: walk the list; each node joins the end of its new bucket's group.
            let old = std::mem::take(&mut list);
            for (h, s) in old {
                let b = h & (buckets - 1);
                match list.iter().rposition(|(h2, _)| h2 & (buckets - 1) == b) {
                    Some(p) => list.insert(p + 1, (h, s)),
                    None => list.push((h, s)),
                }
            }
        }
        let h = fnv1a64(item.as_bytes());
        let b = h & (buckets - 1);
        match list.iter().position(|(h2, _)| h2 & (buckets - 1) == b) {
            Some(p) => list.insert(p, (h, item)),
            None => list.push((h, item)),
        }
    }
    list.into_iter().map(|(_, s)| s).collect()
}

// ---------------------------------------------------------------------------
// S2 geometry
// ---------------------------------------------------------------------------

const S2_MAX_LEVEL: i32 = 30;
const S2_MAX_SIZE: i64 = 1 << S2_MAX_LEVEL;
const S2_POS_BITS: u32 = 2 * S2_MAX_LEVEL as u32 + 1;
const SWAP_MASK: usize = 1;
const INVERT_MASK: usize = 2;
/// Hilbert curve: (orientation, ij = (i_bit << 1) | j_bit) -> position.
const IJ_TO_POS: [[u64; 4]; 4] = [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]];
/// Hilbert curve: (orientation, position) -> ij.
const POS_TO_IJ: [[usize; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
const POS_TO_ORIENTATION: [usize; 4] = [SWAP_MASK, 0, 0, INVERT_MASK | SWAP_MASK];

fn s2_xyz_to_face_uv(p: [f64; 3]) -> (usize, f64, f64) {
    let (ax, ay, az) = (p[0].abs(), p[1].abs(), p[2].abs());
    let mut face = if ax > ay {
        if ax > az { 0 } else { 2 }
    } else if ay > az {
        1
    } else {
        2
    };
    if p[face] < 0.0 {
        face += 3;
    }
    let (u, v) = match face {
        0 => (p[1] / p[0], p[2] / p[0]),
        1 => (-p[0] / p[1], p[2] / p[1]),
        2 => (-p[0] / p[2], -p[1] / p[2]),
        3 => (p[2] / p[0], p[1] / p[0]),
        4 => (p[2] / p[1], -p[0] / p[1]),
        _ => (-p[1] / p[2], -p[0] / p[2]),
    };
    (face, u, v)
}

fn s2_face_uv_to_xyz(face: usize, u: f64, v: f64) -> [f64; 3] {
    match face {
        0 => [1.0, u, v],
        1 => [-u, 1.0, v],
        2 => [-u, -v, 1.0],
        3 => [-1.0, -v, -u],
        4 => [v, -1.0, -u],
        _ => [v, u, -1.0],
    }
}

fn s2_uv_to_st(u: f64) -> f64 {
    if u >= 0.0 { 0.5 * (1.0 + 3.0 * u).sqrt() } else { 1.0 - 0.5 * (1.0 - 3.0 * u).sqrt() }
}

fn s2_st_to_uv(s: f64) -> f64 {
    if s >= 0.5 {
        (1.0 / 3.0) * (4.0 * s * s - 1.0)
    } else {
        (1.0 / 3.0) * (1.0 - 4.0 * (1.0 - s) * (1.0 - s))
    }
}

fn s2_st_to_ij(s: f64) -> i64 {
    ((S2_MAX_SIZE as f64 * s).floor() as i64).clamp(0, S2_MAX_SIZE - 1)
}

fn s2_lsb_for_level(level: i32) -> u64 {
    1u64 << (2 * (S2_MAX_LEVEL - level))
}

fn s2_from_face_ij(face: usize, i: i64, j: i64) -> u64 {
    let mut id = (face as u64) << S2_POS_BITS;
    let mut orientation = face & SWAP_MASK;
    for k in (0..S2_MAX_LEVEL).rev() {
        let ib = ((i >> k) & 1) as usize;
        let jb = ((j >> k) & 1) as usize;
        let pos = IJ_TO_POS[orientation][(ib << 1) | jb];
        id |= pos << (2 * k + 1);
        orientation ^= POS_TO_ORIENTATION[pos as usize];
    }
    id | 1
}

fn s2_level(id: u64) -> i32 {
    S2_MAX_LEVEL - (id.trailing_zeros() as i32 >> 1)
}

fn s2_parent(id: u64, level: i32) -> u64 {
    let lsb = s2_lsb_for_level(level);
    (id & lsb.wrapping_neg()) | lsb
}

fn s2_is_valid(id: u64) -> bool {
    (id >> S2_POS_BITS) < 6 && (id & id.wrapping_neg() & 0x1555_5555_5555_5555) != 0
}

/// (face, i, j) of the leaf cell selected by all position bits of `id`.
fn s2_to_face_ij(id: u64) -> (usize, i64, i64) {
    let face = (id >> S2_POS_BITS) as usize;
    let mut orientation = face & SWAP_MASK;
    let (mut i, mut j) = (0i64, 0i64);
    for k in (0..S2_MAX_LEVEL).rev() {
        let pos = ((id >> (2 * k + 1)) & 3) as usize;
        let ij = POS_TO_IJ[orientation][pos];
        i |= ((ij >> 1) as i64) << k;
        j |= ((ij & 1) as i64) << k;
        orientation ^= POS_TO_ORIENTATION[pos];
    }
    (face, i, j)
}

/// (face, i_lo, j_lo, size) of a cell in leaf-ij units.
fn s2_cell_ij_bounds(id: u64) -> (usize, i64, i64, i64) {
    let (face, i, j) = s2_to_face_ij(id);
    let size = 1i64 << (S2_MAX_LEVEL - s2_level(id));
    (face, i & !(size - 1), j & !(size - 1), size)
}

fn s2_from_lon_lat(lon: f64, lat: f64) -> u64 {
    let (face, u, v) = s2_xyz_to_face_uv(lon_lat_to_xyz(lon, lat));
    s2_from_face_ij(face, s2_st_to_ij(s2_uv_to_st(u)), s2_st_to_ij(s2_uv_to_st(v)))
}

fn s2_to_token(id: u64) -> String {
    if id == 0 {
        return "X".to_string();
    }
    let hex = format!("{id:016x}");
    hex.trim_end_matches('0').to_string()
}

fn s2_from_token(token: &str) -> Option<u64> {
    if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = u64::from_str_radix(token, 16).ok()? << (4 * (16 - token.len()));
    s2_is_valid(id).then_some(id)
}

/// Leaf (i, j) on `face`, possibly one step outside it, mapped to the leaf cell on the right face.
fn s2_from_face_ij_wrap(face: usize, i: i64, j: i64) -> u64 {
    let i = i.clamp(-1, S2_MAX_SIZE);
    let j = j.clamp(-1, S2_MAX_SIZE);
    let scale = 1.0 / S2_MAX_SIZE as f64;
    let limit = 1.0 + f64::EPSILON;
    let u = (scale * (2 * (i - S2_MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let v = (scale * (2 * (j - S2_MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let (f, u, v) = s2_xyz_to_face_uv(s2_face_uv_to_xyz(face, u, v));
    s2_from_face_ij(f, s2_st_to_ij(0.5 * (u + 1.0)), s2_st_to_ij(0.5 * (v + 1.0)))
}

fn s2_from_face_ij_same(face: usize, i: i64, j: i64, same_face: bool) -> u64 {
    if same_face { s2_from_face_ij(face, i, j) } else { s2_from_face_ij_wrap(face, i, j) }
}

fn normalize(p: [f64; 3]) -> [f64; 3] {
    let n = norm(p);
    if n == 0.0 {
        return p;
    }
    let k = 1.0 / n;
    [p[0] * k, p[1] * k, p[2] * k]
}

fn s2_vertex(face: usize, i: i64, j: i64) -> (f64, f64) {
    let u = s2_st_to_uv(i as f64 / S2_MAX_SIZE as f64);
    let v = s2_st_to_uv(j as f64 / S2_MAX_SIZE as f64);
    xyz_to_lon_lat(normalize(s2_face_uv_to_xyz(face, u, v)))
}

/// KQL `geo_point_to_s2cell(lon, lat, level = 11)`: S2 cell token (level 0..30).
pub fn point_to_s2cell(lon: f64, lat: f64, level: i64) -> Option<String> {
    if !valid_lon_lat(lon, lat) || !(0..=S2_MAX_LEVEL as i64).contains(&level) {
        return None;
    }
    let id = s2_parent(s2_from_lon_lat(lon, lat), level as i32);
    Some(s2_to_token(id))
}

/// KQL `geo_s2cell_to_central_point(s2cell)`: GeoJSON point at the S2 cell center.
pub fn s2cell_to_central_point(token: &str) -> Option<Value> {
    let id = s2_from_token(token)?;
    let (face, i, j, size) = s2_cell_ij_bounds(id);
    // Center in (si, ti) units of 2^31 per face.
    let si = 2 * i + size;
    let ti = 2 * j + size;
    let scale = 1.0 / (2 * S2_MAX_SIZE) as f64;
    let u = s2_st_to_uv(si as f64 * scale);
    let v = s2_st_to_uv(ti as f64 * scale);
    let (lon, lat) = xyz_to_lon_lat(normalize(s2_face_uv_to_xyz(face, u, v)));
    Some(point_json(lon, lat))
}

/// KQL `geo_s2cell_to_polygon(s2cell)`: GeoJSON polygon of the S2 cell (vertices in S2 order, closed).
pub fn s2cell_to_polygon(token: &str) -> Option<Value> {
    let id = s2_from_token(token)?;
    let (face, i, j, size) = s2_cell_ij_bounds(id);
    let corners = [(i, j), (i + size, j), (i + size, j + size), (i, j + size)];
    let mut ring: Vec<[f64; 2]> = corners
        .iter()
        .map(|&(a, b)| {
            let (lon, lat) = s2_vertex(face, a, b);
            [lon, lat]
        })
        .collect();
    ring.push(ring[0]);
    Some(polygon_json(&ring))
}

/// KQL `geo_s2cell_neighbors(s2cell)`: array of the S2 cell's same-level edge and corner neighbours.
///
/// Neighbours are generated in the S2 library's all-neighbours order
/// ((di, dj) = (-1,-1), (+1,-1), (0,-1), (0,+1), (-1,0), (+1,0), (-1,+1), (+1,+1)),
/// deduplicated (cube-corner cells have 7) and ordered like Kusto (see `hash_set_order`).
pub fn s2cell_neighbors(token: &str) -> Option<Value> {
    let id = s2_from_token(token)?;
    let level = s2_level(id);
    let (face, i, j, size) = s2_cell_ij_bounds(id);
    const ORDER: [(i64, i64); 8] =
        [(-1, -1), (1, -1), (0, -1), (0, 1), (-1, 0), (1, 0), (-1, 1), (1, 1)];
    let mut generated: Vec<String> = Vec::with_capacity(8);
    for (di, dj) in ORDER {
        let ni = i + di * size;
        let nj = j + dj * size;
        let same = (0..S2_MAX_SIZE).contains(&ni) && (0..S2_MAX_SIZE).contains(&nj);
        let n = s2_parent(s2_from_face_ij_same(face, ni, nj, same), level);
        if n != id {
            generated.push(s2_to_token(n));
        }
    }
    Some(strings_value(hash_set_order(generated)))
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // values copied verbatim from Kusto output
mod tests {
    use super::*;

    fn approx(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn coords(v: &Value) -> Vec<[f64; 2]> {
        v["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
            .collect()
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    }

    /// Format like Kusto prints a real: 15 significant digits, trailing zeros trimmed.
    fn kusto_real(x: f64) -> String {
        let s = format!("{:.*e}", 14, x);
        let (mant, exp) = s.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
        let neg = x < 0.0;
        let point = exp + 1;
        let mut out = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        if out.contains('.') {
            out = out.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if neg { format!("-{out}") } else { out }
    }

    #[test]
    fn distance_documented() {
        let d = distance_2points(-122.407628, 47.578557, -118.275287, 34.019056).unwrap();
        assert_eq!(kusto_real(d), "1546754.35197381");
        assert_eq!(distance_2points(300.0, 1.0, 1.0, 1.0), None);
    }

    #[test]
    fn angle_documented() {
        let a = angle(0.0, 10.0, 0.0, 5.0, 3.0, -10.0).unwrap();
        assert_eq!(kusto_real(a), "2.94493843406882");
        assert_eq!(kusto_real(a.to_degrees()), "168.732543198009");
        assert_eq!(angle(0.0, 10.0, 0.0, 10.0, 3.0, -10.0), None);
        assert_eq!(angle(0.0, 10.0, 0.0, 5.0, 0.0, 5.0), None);
        assert_eq!(angle(0.0, 10.0, 180.0, -10.0, 3.0, 5.0), None);
    }

    #[test]
    fn point_in_circle_documented() {
        let places = [
            (-122.317404, 47.609119, true),
            (-123.497688, 47.458098, false),
            (-122.201741, 47.677084, true),
            (-122.443663, 47.247092, false),
            (-122.121975, 47.671345, true),
        ];
        for (lon, lat, inside) in places {
            assert_eq!(point_in_circle(lon, lat, -122.317404, 47.609119, 18000.0), Some(inside));
        }
        assert_eq!(
            point_in_circle(-122.143564, 47.535677, -122.100896, 47.527351, 3500.0),
            Some(true)
        );
        assert_eq!(
            point_in_circle(-122.137575, 47.630683, -122.100896, 47.527351, 3500.0),
            Some(false)
        );
        assert_eq!(point_in_circle(200.0, 1.0, 1.0, 1.0, 1.0), None);
        assert_eq!(point_in_circle(1.0, 1.0, 1.0, 1.0, -1.0), None);
    }

    #[test]
    fn geohash_encode_documented() {
        assert_eq!(point_to_geohash(-80.195829, 25.802215, 8).as_deref(), Some("dhwfz15h"));
        assert_eq!(point_to_geohash(-122.303404, 47.570482, 5).as_deref(), Some("c23n8"));
        assert_eq!(point_to_geohash(-122.304745, 47.567052, 5).as_deref(), Some("c23n8"));
        assert_eq!(point_to_geohash(-122.278156, 47.566936, 5).as_deref(), Some("c23n9"));
        assert_eq!(point_to_geohash(200.0, 1.0, 8), None);
        assert_eq!(point_to_geohash(1.0, 1.0, 0), None);
        assert_eq!(point_to_geohash(1.0, 1.0, 19), None);
        assert_eq!(point_to_geohash(1.0, 1.0, 18).map(|s| s.len()), Some(18));
    }

    #[test]
    fn geohash_central_point_documented() {
        let p = geohash_to_central_point("sunny").unwrap();
        assert_eq!(p["type"], "Point");
        assert_eq!(p["coordinates"][0].as_f64(), Some(42.47314453125));
        assert_eq!(p["coordinates"][1].as_f64(), Some(23.70849609375));
        assert_eq!(geohash_to_central_point("a"), None);
        assert_eq!(geohash_to_central_point(""), None);
    }

    #[test]
    fn geohash_polygon_documented() {
        let p = geohash_to_polygon("dr5ru").unwrap();
        assert_eq!(p["type"], "Polygon");
        assert_eq!(
            coords(&p),
            vec![
                [-74.00390625, 40.7373046875],
                [-73.9599609375, 40.7373046875],
                [-73.9599609375, 40.78125],
                [-74.00390625, 40.78125],
                [-74.00390625, 40.7373046875]
            ]
        );
        assert_eq!(geohash_to_polygon("a"), None);
        // Collection example: points -> geohash(5) -> polygon.
        let first = [
            (-73.975212, 40.789608, [-74.00390625, 40.78125]),
            (-73.916869, 40.818314, [-73.9599609375, 40.78125]),
            (-73.989148, 40.743273, [-74.00390625, 40.7373046875]),
        ];
        for (lon, lat, sw) in first {
            let h = point_to_geohash(lon, lat, 5).unwrap();
            assert_eq!(coords(&geohash_to_polygon(&h).unwrap())[0], sw);
        }
        let sunny = coords(&geohash_to_polygon("sunny").unwrap());
        assert_eq!(
            sunny,
            vec![
                [42.451171875, 23.6865234375],
                [42.4951171875, 23.6865234375],
                [42.4951171875, 23.73046875],
                [42.451171875, 23.73046875],
                [42.451171875, 23.6865234375]
            ]
        );
        let sunnt = coords(&geohash_to_polygon("sunnt").unwrap());
        assert_eq!(sunnt[0], [42.4072265625, 23.642578125]);
        assert_eq!(sunnt[2], [42.451171875, 23.6865234375]);
    }

    #[test]
    fn geohash_neighbors_documented() {
        let n = geohash_neighbors("sunny").unwrap();
        assert_eq!(
            strings(&n),
            ["sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"]
        );
        assert_eq!(geohash_neighbors("a"), None);
        // Antimeridian wrap.
        let n = strings(&geohash_neighbors("2").unwrap());
        assert_eq!(n.len(), 8);
        assert!(n.contains(&"r".to_string()));
    }

    #[test]
    fn s2_point_documented() {
        assert_eq!(point_to_s2cell(-80.195829, 25.802215, 8).as_deref(), Some("88d9b"));
        assert_eq!(point_to_s2cell(10.1234, 53.0, 8).as_deref(), Some("47b1d"));
        assert_eq!(point_to_s2cell(10.3579, 53.0, 8).as_deref(), Some("47b1d"));
        assert_eq!(point_to_s2cell(10.6842, 53.0, 8).as_deref(), Some("47ae3"));
        assert_eq!(point_to_s2cell(300.0, 1.0, 8), None);
        assert_eq!(point_to_s2cell(1.0, 1.0, 35), None);
        assert_eq!(point_to_s2cell(1.0, 1.0, -1), None);
        assert!(point_to_s2cell(1.0, 1.0, 0).is_some());
        assert_eq!(point_to_s2cell(1.0, 1.0, 30).map(|s| s.len()), Some(16));
    }

    #[test]
    fn s2_central_point_documented() {
        let p = s2cell_to_central_point("1234567").unwrap();
        let lon = p["coordinates"][0].as_f64().unwrap();
        let lat = p["coordinates"][1].as_f64().unwrap();
        assert!(approx(lon, 9.86830731850408, 1e-13), "{lon}");
        assert!(approx(lat, 27.468392925827604, 1e-13), "{lat}");
        assert_eq!(kusto_real(lon), "9.86830731850408");
        assert_eq!(kusto_real(lat), "27.4683929258276");
        assert_eq!(s2cell_to_central_point("a"), None);
        assert_eq!(s2cell_to_central_point(""), None);
        assert_eq!(s2cell_to_central_point("zz"), None);
    }

    #[test]
    fn s2_neighbors_documented() {
        let n = s2cell_neighbors("89c259").unwrap();
        assert_eq!(
            strings(&n),
            ["89c25d", "89c2f9", "89c251", "89c257", "89c25f", "89c25b", "89c2f7", "89c2f5"]
        );
        assert_eq!(s2cell_neighbors("a"), None);
    }

    #[test]
    fn s2_polygon_documented() {
        let expected: [(&str, [[f64; 2]; 4]); 9] = [
            (
                "89c259",
                [
                    [-74.030012249838478, 40.8012684339439],
                    [-74.030012249838478, 40.7222262918358],
                    [-73.935982114337421, 40.708880489804564],
                    [-73.935982114337421, 40.787917134506841],
                ],
            ),
            (
                "89c25d",
                [
                    [-73.935982114337421, 40.708880489804564],
                    [-73.935982114337421, 40.629736433321796],
                    [-73.841906340776248, 40.616308079144915],
                    [-73.841906340776248, 40.695446474556284],
                ],
            ),
            (
                "89c2f9",
                [
                    [-74.1239959854733, 40.893471289549765],
                    [-74.1239959854733, 40.814531536204242],
                    [-74.030012249838478, 40.8012684339439],
                    [-74.030012249838478, 40.880202851376716],
                ],
            ),
            (
                "89c251",
                [
                    [-74.1239959854733, 40.735483949993387],
                    [-74.1239959854733, 40.656328734184143],
                    [-74.030012249838478, 40.643076628676461],
                    [-74.030012249838478, 40.7222262918358],
                ],
            ),
            (
                "89c257",
                [
                    [-74.1239959854733, 40.814531536204242],
                    [-74.1239959854733, 40.735483949993387],
                    [-74.030012249838478, 40.7222262918358],
                    [-74.030012249838478, 40.8012684339439],
                ],
            ),
            (
                "89c25f",
                [
                    [-73.935982114337421, 40.787917134506841],
                    [-73.935982114337421, 40.708880489804564],
                    [-73.841906340776248, 40.695446474556284],
                    [-73.841906340776248, 40.774477568182071],
                ],
            ),
            (
                "89c25b",
                [
                    [-74.030012249838478, 40.7222262918358],
                    [-74.030012249838478, 40.643076628676461],
                    [-73.935982114337421, 40.629736433321796],
                    [-73.935982114337421, 40.708880489804564],
                ],
            ),
            (
                "89c2f7",
                [
                    [-74.030012249838478, 40.880202851376716],
                    [-74.030012249838478, 40.8012684339439],
                    [-73.935982114337421, 40.787917134506841],
                    [-73.935982114337421, 40.866846163445771],
                ],
            ),
            (
                "89c2f5",
                [
                    [-73.935982114337421, 40.866846163445771],
                    [-73.935982114337421, 40.787917134506841],
                    [-73.841906340776248, 40.774477568182071],
                    [-73.841906340776248, 40.853401155678846],
                ],
            ),
        ];
        for (token, corners) in expected {
            let ring = coords(&s2cell_to_polygon(token).unwrap());
            assert_eq!(ring.len(), 5);
            assert_eq!(ring[0], ring[4]);
            for k in 0..4 {
                assert!(
                    ring[k][0] == corners[k][0] && ring[k][1] == corners[k][1],
                    "{token} vertex {k}: {:?} vs {:?}",
                    ring[k],
                    corners[k]
                );
            }
        }
        assert_eq!(s2cell_to_polygon("a"), None);
    }

    #[test]
    fn s2_roundtrip_and_levels() {
        for level in 0..=30 {
            let t = point_to_s2cell(-73.98, 40.75, level).unwrap();
            let id = s2_from_token(&t).unwrap();
            assert_eq!(s2_level(id), level as i32);
            assert_eq!(s2_to_token(id), t);
        }
        // Neighbours of a face-corner cell are 7 distinct cells.
        let corner = s2_to_token(s2_parent(s2_from_face_ij(0, 0, 0), 5));
        let n = strings(&s2cell_neighbors(&corner).unwrap());
        assert_eq!(n.len(), 7);
        // Face cells have four neighbours.
        assert_eq!(strings(&s2cell_neighbors("1").unwrap()).len(), 4);
    }
}

/// The geospatial functions as KQL library functions over Arrow arrays.
pub(crate) mod kql {
    use crate::udf::{self, longs, reals, strings};
    use datafusion::arrow::array::ArrayRef;
    use datafusion::error::Result;
    use serde_json::Value;

    /// The reals of every argument, row by row (null where any is null).
    fn real_rows(a: &[ArrayRef], rows: usize) -> Result<Vec<Option<Vec<f64>>>> {
        let cols: Vec<Vec<Option<f64>>> = a.iter().map(reals).collect::<Result<_>>()?;
        Ok((0..rows).map(|i| cols.iter().map(|c| c[i]).collect::<Option<Vec<f64>>>()).collect())
    }

    fn json_out(values: impl IntoIterator<Item = Option<Value>>) -> ArrayRef {
        std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter(
            values.into_iter().map(|v| v.map(|v| v.to_string())),
        ))
    }

    pub fn distance_2points(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let r = real_rows(&a[..4], rows)?;
        Ok(udf::real_array(r.into_iter().map(|v| {
            let v = v?;
            super::distance_2points(v[0], v[1], v[2], v[3])
        })))
    }

    pub fn point_in_circle(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let r = real_rows(&a[..5], rows)?;
        Ok(udf::bool_array(r.into_iter().map(|v| {
            let v = v?;
            super::point_in_circle(v[0], v[1], v[2], v[3], v[4])
        })))
    }

    pub fn angle(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let r = real_rows(&a[..6], rows)?;
        Ok(udf::real_array(r.into_iter().map(|v| {
            let v = v?;
            super::angle(v[0], v[1], v[2], v[3], v[4], v[5])
        })))
    }

    /// A point and a precision (its default when the argument is missing).
    fn point_cells(
        a: &[ArrayRef],
        rows: usize,
        default: i64,
        cell: fn(f64, f64, i64) -> Option<String>,
    ) -> Result<ArrayRef> {
        let r = real_rows(&a[..2], rows)?;
        let precision = match a.get(2) {
            Some(p) => longs(p)?,
            None => vec![Some(default); rows],
        };
        Ok(udf::string_array(
            r.into_iter()
                .zip(precision)
                .map(|(v, p)| v.and_then(|v| cell(v[0], v[1], p?)).unwrap_or_default()),
        ))
    }

    /// `geo_line_length`: the length in meters of a GeoJSON LineString or MultiLineString,
    /// along great circles; null for a line of fewer than two points or a bad coordinate.
    pub fn line_length(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        fn points(line: &Value) -> Option<Vec<(f64, f64)>> {
            let pts: Option<Vec<(f64, f64)>> = line
                .as_array()?
                .iter()
                .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect();
            pts.filter(|p| p.len() >= 2)
        }
        fn length(line: &[(f64, f64)]) -> Option<f64> {
            line.windows(2).map(|w| super::distance_2points(w[0].0, w[0].1, w[1].0, w[1].1)).sum()
        }
        Ok(udf::real_array(strings(&a[0])?.into_iter().map(|t| {
            let v: Value = serde_json::from_str(t).ok()?;
            let coordinates = v.get("coordinates")?;
            match v.get("type")?.as_str()? {
                "LineString" => length(&points(coordinates)?),
                "MultiLineString" => {
                    coordinates.as_array()?.iter().map(|l| length(&points(l)?)).sum()
                }
                _ => None,
            }
        })))
    }

    pub fn point_to_geohash(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        point_cells(a, rows, 5, super::point_to_geohash)
    }

    pub fn point_to_s2cell(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        point_cells(a, rows, 11, super::point_to_s2cell)
    }

    fn from_cell(a: &[ArrayRef], f: fn(&str) -> Option<Value>) -> Result<ArrayRef> {
        Ok(json_out(strings(&a[0])?.into_iter().map(f)))
    }

    pub fn geohash_to_central_point(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::geohash_to_central_point)
    }

    pub fn geohash_to_polygon(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::geohash_to_polygon)
    }

    pub fn geohash_neighbors(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::geohash_neighbors)
    }

    pub fn s2cell_to_central_point(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::s2cell_to_central_point)
    }

    pub fn s2cell_to_polygon(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::s2cell_to_polygon)
    }

    pub fn s2cell_neighbors(a: &[ArrayRef], _: usize) -> Result<ArrayRef> {
        from_cell(a, super::s2cell_neighbors)
    }
}
