//! Random command lines for the option parser and the planner: neither may panic, and what
//! they accept must be well formed. A short run is part of the test suite; `make fuzz`
//! runs it for as long as MKOSI_SANDBOX_FUZZ_SECONDS says.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::{Duration, Instant};

use mkosi_sandbox::cli::{self, Parsed, OPTIONS};
use mkosi_sandbox::plan;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One argument: mostly option names and path-like words, sometimes arbitrary bytes.
fn token() -> impl Strategy<Value = Vec<u8>> {
    let names: Vec<Vec<u8>> = OPTIONS
        .iter()
        .map(|(o, _, _)| o.as_bytes().to_vec())
        .chain(
            [
                "-h",
                "--",
                "-",
                "--list",
                "--install",
                "-x",
                "--bind=/a",
                "tmpfs",
                "+/usr",
                "+",
            ]
            .map(|s| s.as_bytes().to_vec()),
        )
        .collect();
    prop_oneof![
        4 => proptest::sample::select(names),
        3 => proptest::collection::vec(prop_oneof![Just(b'/'), Just(b'.'), Just(b'a'), Just(b'='), Just(b'+'), Just(b'-')], 0..12),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
}

fn check(args: Vec<Vec<u8>>) -> Result<(), TestCaseError> {
    let args: Vec<OsString> = args.into_iter().map(OsString::from_vec).collect();
    match cli::parse(args.clone()) {
        Ok(Parsed::Run(opts)) => {
            for op in &opts.ops {
                prop_assert!(
                    op.dst.starts_with(b"/"),
                    "relative destination {:?}",
                    op.dst
                );
                prop_assert!(!op.dst.contains(&0), "NUL in a destination");
                prop_assert_eq!(cli::normalize(&op.dst), op.dst.clone());
            }
            for (name, value) in &opts.env {
                prop_assert!(!name.is_empty() && !name.contains(&b'=') && !name.contains(&0));
                prop_assert!(value.as_ref().is_none_or(|v| !v.contains(&0)));
            }
            let n = opts.ops.len();
            let planned = plan::optimize(opts.ops);
            prop_assert!(planned.len() <= n);
            for pair in planned.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let relative =
                    |o: &plan::FsOp| matches!(o.kind, plan::Kind::Bind { relative: true, .. });
                if relative(a) == relative(b) {
                    prop_assert!(plan::cmp_paths(&a.dst, &b.dst) != std::cmp::Ordering::Greater);
                }
            }
        }
        Ok(Parsed::Help | Parsed::Version) => {}
        Err(failure) => {
            let message = failure.message();
            prop_assert!(
                !message.contains(&b'\n'),
                "usage errors are one line: {:?}",
                String::from_utf8_lossy(&message)
            );
            prop_assert!(failure.exit_code() == 2 || failure.exit_code() == 1);
        }
    }
    let _ = mkosi_sandbox::applets::dispatch(&args);
    Ok(())
}

#[test]
fn parser_and_planner_never_panic() {
    let seconds: u64 = std::env::var("MKOSI_SANDBOX_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut total = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&proptest::collection::vec(token(), 0..40), check);
        if let Err(e) = result {
            panic!("{e}");
        }
        total += 2000;
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!("{total} command lines checked");
}
