//! `throttle_proxy UPSTREAM_PORT RATE_BYTES_PER_S LATENCY_MS`: a loopback proxy in front of a
//! registry that behaves like a slow link (see tests/support/throttle.rs, which the tests use
//! too). Prints the port it listens on, then serves until killed. For scripts/bench-lazy.sh.

#[path = "../tests/support/throttle.rs"]
#[allow(dead_code)]
mod throttle;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let parse = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let (Some(upstream), Some(rate), Some(latency)) = (parse(1), parse(2), parse(3)) else {
        eprintln!("usage: throttle_proxy UPSTREAM_PORT RATE_BYTES_PER_S LATENCY_MS");
        std::process::exit(2);
    };
    let Ok(upstream) = u16::try_from(upstream) else {
        eprintln!("throttle_proxy: {upstream} is not a port");
        std::process::exit(2);
    };
    let link = throttle::Link {
        rate,
        latency: std::time::Duration::from_millis(latency),
    };
    match throttle::Throttle::start(upstream, link) {
        Ok(t) => {
            println!("{}", t.port);
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("throttle_proxy: {e}");
            std::process::exit(2);
        }
    }
}
