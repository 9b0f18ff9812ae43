//! Pathologically deep inputs: the parser reports a limit error instead of overflowing the
//! stack, and the trees it builds stay shallow enough to format and drop. Each case runs on a
//! thread with a small (1 MiB) stack, less than any thread the parser is used on.

use quarry_syntax::{DiagnosticKind, format, parse};

fn nested(open: &str, middle: &str, close: &str, n: usize) -> String {
    format!("{}{middle}{}", open.repeat(n), close.repeat(n))
}

fn check_deep(name: &str, text: String) {
    let result = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let parsed = parse(&text);
            let limit = parsed.diagnostics.iter().any(|d| d.kind == DiagnosticKind::Limit);
            let _ = format::format(&text);
            limit
        })
        .unwrap()
        .join();
    match result {
        Ok(limit) => assert!(limit, "{name}: no limit diagnostic"),
        Err(_) => panic!("{name}: the parser panicked"),
    }
}

#[test]
fn deep_inputs_hit_the_limit_not_the_stack() {
    let n = 5000;
    check_deep("parentheses", format!("print x = {}", nested("(", "1", ")", n)));
    check_deep("calls", format!("print x = {}", nested("f(", "1", ")", n)));
    check_deep("indexes", format!("print x = a{}", "[0]".repeat(n)));
    check_deep("members", format!("print x = a{}", ".b".repeat(n)));
    check_deep("arithmetic", format!("print x = 1{}", "+1".repeat(n)));
    check_deep("unary-in-parens", format!("print x = {}", nested("-(", "1", ")", n)));
    check_deep("dynamic", format!("print x = dynamic({})", nested("[", "1", "]", n)));
    check_deep("objects", format!("print x = dynamic({})", nested("{\"a\":", "1", "}", n)));
    check_deep("subqueries", format!("T{}", nested(" | where x in (T", "", ")", n)));
    check_deep("toscalar", format!("print x = {}", nested("toscalar(", "1", ")", n)));
    check_deep("functions", nested("let f = () { ", "1", " };", n));
    check_deep("in-lists", format!("print x = {}", nested("a in (", "1", ")", n)));
    check_deep("between", format!("print x = {}", nested("a between (", "1 .. 2", ")", n)));
    check_deep("mv-apply", format!("T{}", nested(" | mv-apply x on (where x", "", ")", n)));
    check_deep("join", format!("T{}", nested(" | join (T", "", ") on x", n)));
}

#[test]
fn long_flat_chains_are_not_deep() {
    let ors = (0..5000).map(|i| format!("a == {i}")).collect::<Vec<_>>().join(" or ");
    let parsed = parse(&format!("T | where {ors}"));
    assert!(!parsed.has_errors());
    let pipes = "| take 1 ".repeat(5000);
    let parsed = parse(&format!("T {pipes}"));
    assert!(!parsed.has_errors());
    let statements = "let x = 1;\n".repeat(5000);
    assert!(!parse(&format!("{statements}print x")).has_errors());
}
