//! The scaled-out shape: the gateway and two replicas of the tenants service as separate
//! processes on loopback, sharing the database (and Redis, on the PostgreSQL backend).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn spawn(role: &str, port: u16, scratch: &Scratch, tenants: &str) -> Proc {
    let mut settings = test_settings();
    scratch.apply(&mut settings);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canopy"));
    cmd.arg(role)
        .env_clear()
        .env("CANOPY_LISTEN", format!("127.0.0.1:{port}"))
        .env("CANOPY_DATA_DIR", &settings.data_dir)
        .env("CANOPY_REDIS_PREFIX", &settings.redis_prefix)
        .env("CANOPY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("CANOPY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CANOPY_UPSTREAMS__TENANTS", tenants)
        .env("CANOPY_AUTH__JWKS_MIN_REFRESH_SECS", "0")
        .env("CANOPY_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let (Some(db), Some(redis)) = (&settings.database_url, &settings.redis_url) {
        cmd.env("CANOPY_DATABASE_URL", db.expose()).env("CANOPY_REDIS_URL", redis.expose());
    }
    Proc(cmd.spawn().expect("canopy starts"))
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

async fn served_by(http: &reqwest::Client, base: &str) -> u64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("canopy_http_requests_total") && l.contains("route=\"/api/v1/tenants\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn gateway_and_two_tenants_replicas_as_processes() {
    for backend in backends() {
        eprintln!("-- backend: {backend:?}");
        let scratch = Scratch::new(backend).await;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let (p1, p2, pg) = (free_port(), free_port(), free_port());
        let (t1, t2, gw) = (
            format!("http://127.0.0.1:{p1}"),
            format!("http://127.0.0.1:{p2}"),
            format!("http://127.0.0.1:{pg}"),
        );
        let replicas = format!("{t1},{t2}");
        // The first replica migrates and bootstraps; the second joins the same database.
        let mut first = Some(spawn("tenants", p1, &scratch, &replicas));
        wait_ready(&http, &t1).await;
        let _second = spawn("tenants", p2, &scratch, &replicas);
        wait_ready(&http, &t2).await;
        let _gateway = spawn("gateway", pg, &scratch, &replicas);
        wait_ready(&http, &gw).await;

        // Sign in through the gateway; the token opens both replicas (shared keys).
        let tokens: serde_json::Value = http
            .post(format!("{gw}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = tokens["access_token"].as_str().expect("signed in through the gateway").to_owned();
        for base in [&t1, &t2] {
            assert_eq!(
                http.get(format!("{base}/api/v1/auth/me")).bearer_auth(&token).send().await.unwrap().status(),
                200
            );
        }
        let created = http
            .post(format!("{gw}/api/v1/tenants"))
            .bearer_auth(&token)
            .json(&json!({"name": "Split Co", "key": "SPLIT"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);

        // The gateway spreads reads over both replicas.
        for _ in 0..10 {
            assert_eq!(
                http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
                200
            );
        }
        let (n1, n2) = (served_by(&http, &t1).await, served_by(&http, &t2).await);
        assert!(n1 > 0 && n2 > 0, "replica 1 served {n1}, replica 2 served {n2}");

        // Refresh tokens rotate whichever replica answers; reuse is caught across replicas.
        let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
        let refresh = |t: String| {
            http.post(format!("{gw}/api/v1/auth/refresh")).json(&json!({"refresh_token": t})).send()
        };
        assert_eq!(refresh(r1.clone()).await.unwrap().status(), 200);
        let reused = refresh(r1).await.unwrap();
        assert_eq!(reused.status(), 401);

        if backend == Backend::Postgres {
            // With Redis shared, a sign-out on one replica is honoured by the gateway at once.
            let logout = http
                .post(format!("{gw}/api/v1/auth/logout"))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(logout.status(), 204);
            assert_eq!(
                http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
                401
            );
        }

        // One replica dies: the gateway carries on with the other.
        drop(first.take());
        let again: serde_json::Value = http
            .post(format!("{gw}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = again["access_token"].as_str().unwrap().to_owned();
        for _ in 0..4 {
            assert_eq!(
                http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
                200
            );
        }
    }
}
