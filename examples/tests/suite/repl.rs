//! The `repl` binary as the OpenCensus guide runs it: lines piped in, upper-cased lines out,
//! and the three views on `/metrics` with exact counts and buckets.

use crate::common;

use std::io::{BufRead, Write};

use common::scrape;

fn sample(text: &str, series: &str) -> String {
    (text.lines())
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .to_owned()
}

#[test]
fn lines_in_upper_case_out_and_the_three_views_counted() {
    let (mut child, address, mut stdin, mut stdout) = common::start_repl();
    let long = "x".repeat(450);
    let input = format!("hello\n\nThe quick brown fox jumps\n\u{0}\n{long}\n");
    stdin.write_all(input.as_bytes()).unwrap();
    stdin.write_all(b"\xff\xfe\n").unwrap();
    stdin.flush().unwrap();
    let mut printed = Vec::new();
    for _ in 0..6 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        printed.push(line);
    }
    let upper = format!("{}\n", long.to_uppercase());
    assert_eq!(
        printed,
        [
            "HELLO\n",
            "\n",
            "THE QUICK BROWN FOX JUMPS\n",
            "\u{0}\n",
            &upper,
            "\u{fffd}\u{fffd}\n"
        ]
    );

    let text = scrape(&address);
    let ok = r#"method="repl",status="OK",error="""#;
    let bad = r#"method="repl",status="ERROR",error="invalid_utf8""#;
    // Five lines of 5, 0, 25, 1 and 450 bytes, and one of 2 bytes that is not UTF-8.
    for (series, value) in [
        (format!("demo_lines_in_total{{{ok}}}"), "5"),
        (format!("demo_lines_in_total{{{bad}}}"), "1"),
        (format!("demo_latency_seconds_count{{{ok}}}"), "5"),
        (format!("demo_latency_seconds_count{{{bad}}}"), "1"),
        (format!("demo_line_lengths_bytes_count{{{ok}}}"), "5"),
        (format!("demo_line_lengths_bytes_sum{{{ok}}}"), "481.0"),
        (format!("demo_line_lengths_bytes_sum{{{bad}}}"), "2.0"),
    ] {
        assert_eq!(sample(&text, &series), value, "{series}");
    }
    let ok_buckets = [
        ("0.0", "1"),
        ("5.0", "3"),
        ("20.0", "3"),
        ("40.0", "4"),
        ("400.0", "4"),
        ("600.0", "5"),
        ("+Inf", "5"),
    ];
    for (le, count) in ok_buckets {
        let series = format!("demo_line_lengths_bytes_bucket{{le=\"{le}\",{ok}}}");
        assert_eq!(sample(&text, &series), count, "{series}");
    }
    let series = format!("demo_line_lengths_bytes_bucket{{le=\"0.0\",{bad}}}");
    assert_eq!(sample(&text, &series), "0");
    // The guide's latency bounds, in seconds.
    let bounds: Vec<&str> = (text.lines())
        .filter(|l| l.starts_with("demo_latency_seconds_bucket") && l.contains(ok))
        .map(|l| l.split('"').nth(1).unwrap())
        .collect();
    let expected = [
        "0.0", "0.025", "0.05", "0.075", "0.1", "0.2", "0.4", "0.6", "0.8", "1.0", "2.0", "4.0",
        "6.0", "+Inf",
    ];
    assert_eq!(bounds, expected);

    // The end of its input is the end of the REPL.
    drop(stdin);
    assert!(child.0.wait().unwrap().success());
}
