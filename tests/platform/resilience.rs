//! The PostgreSQL + Redis deployment without Redis: requests still succeed (the cache and the
//! rate limiter work in process meanwhile), `/readyz` answers at once with 503 naming Redis,
//! and everything recovers on its own when Redis is back. The test runs a Redis server of its
//! own on a free port, so it can stop it without touching the shared one.

use std::time::Duration;

use serde_json::{Value, json};

use canopy_kernel::config::Secret;

use crate::helpers::*;

use crate::own_redis::OwnRedis;

fn tier() -> Value {
    json!({"name": "Outage tier", "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 240},
                    "P2": {"first_response_mins": 120, "resolution_mins": 960},
                    "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                    "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
        "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}})
}

fn incident(title: &str) -> Value {
    json!({"type": "incident", "title": title, "category": "network", "impact": "low", "urgency": "low"})
}

async fn readyz(app: &TestApp) -> (u16, Value) {
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// Only the PostgreSQL + Redis deployment has a Redis to lose.
#[tokio::test]
async fn without_redis_requests_succeed_readyz_names_redis_and_all_recovers_when_it_is_back() {
    on_backend(Backend::Postgres, async |backend| {
        let mut redis = OwnRedis::start();
        let url = redis.url();
        let app = TestApp::spawn_with(backend, |s| {
            s.redis_url = Some(Secret::new(url));
            s.redis.timeout_ms = 200;
            s.redis.fallback_secs = 1;
        })
        .await;
        let root = app.admin_token().await;
        let (tenant, admin) = app.tenant("OUTAGE").await;
        app.contract(&root, tenant, tier()).await;
        let (status, body) = readyz(&app).await;
        assert_eq!((status, &body["checks"]["redis"]), (200, &json!(true)), "{body}");

        redis.kill();
        // Signing in, reading and creating go on (each Redis call gives up within its timeout,
        // then the in-process fallback answers without asking Redis).
        assert_eq!(app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200, "sign-in without Redis");
        assert_eq!(app.get("/api/v1/tickets", &admin).await.status(), 200, "a read without Redis");
        let during =
            json_ok(app.post("/api/v1/tickets", &admin, incident("Raised during the outage")).await, 201)
                .await;
        assert_eq!(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await.status(), 200);
        let (status, body) = readyz(&app).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["checks"]["redis"], false, "the failing check is named: {body}");
        assert!(
            body["problems"]["redis"].as_str().unwrap().contains("Redis"),
            "and says what is wrong: {body}"
        );
        let metrics =
            app.http.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("canopy_backend_degraded{backend=\"redis\"} 1"), "the metric says so");

        redis.resume();
        eventually("ready again once Redis is back", Duration::from_secs(60), async || {
            match readyz(&app).await {
                (200, _) => Ok(()),
                (status, body) => Err(format!("{status} {body}")),
            }
        })
        .await;
        let after =
            json_ok(app.post("/api/v1/tickets", &admin, incident("Raised after the outage")).await, 201)
                .await;
        let list = json_ok(app.get("/api/v1/tickets", &admin).await, 200).await;
        let ids: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|t| &t["id"]).collect();
        assert!(ids.contains(&&during["id"]) && ids.contains(&&after["id"]), "{list}");
        let metrics =
            app.http.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("canopy_backend_degraded{backend=\"redis\"} 0"), "recovered");
        app.stop().await;
    })
    .await;
}
