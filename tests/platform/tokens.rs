//! Tokens that must not open anything.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use canopy_kernel::auth::{Claims, PrincipalKind, Role, SigningKey, TokenKind, TokenSigner};

use crate::helpers::*;

fn claims(app: &TestApp, exp_in: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        iss: app.settings.auth.issuer.clone(),
        aud: app.settings.auth.audience.clone(),
        sub: uuid::Uuid::now_v7(),
        tid: None,
        roles: vec![Role::ProviderAdmin],
        kind: PrincipalKind::User,
        typ: TokenKind::Access,
        scope: None,
        iat: now,
        nbf: now,
        exp: now + exp_in,
        jti: uuid::Uuid::new_v4(),
        generation: 0,
    }
}

/// The real signing key of the running platform (as an insider with the database would have it).
async fn platform_key(app: &TestApp) -> SigningKey {
    use sea_orm::Database;
    let db = match &app.settings.database_url {
        Some(url) => {
            let mut o = sea_orm::ConnectOptions::new(url.expose().clone());
            o.set_schema_search_path("tenants".to_owned());
            Database::connect(o).await.unwrap()
        }
        None => Database::connect(format!(
            "sqlite://{}?mode=ro",
            app.settings.data_dir.join("tenants.sqlite3").display()
        ))
        .await
        .unwrap(),
    };
    let keys = canopy_tenants::store::keys::Keys::new(db).live().await.unwrap();
    keys.into_iter().next().unwrap()
}

async fn refused(app: &TestApp, token: &str, code: &str) {
    for base in [app.base.as_str(), app.tenants_base.as_str()] {
        let res = app.http.get(format!("{base}/api/v1/tenants")).bearer_auth(token).send().await.unwrap();
        problem(res, 401, code).await;
    }
}

backend_test!(a_token_signed_with_the_platform_key_is_accepted);
async fn a_token_signed_with_the_platform_key_is_accepted(app: &TestApp) {
    let key = platform_key(app).await;
    let token = TokenSigner::new(&key).sign(&claims(app, 60)).unwrap();
    json_ok(app.get("/api/v1/tenants", &token).await, 200).await;
}

backend_test!(expired_tokens_are_refused);
async fn expired_tokens_are_refused(app: &TestApp) {
    let key = platform_key(app).await;
    let token = TokenSigner::new(&key).sign(&claims(app, -300)).unwrap();
    refused(app, &token, "token_expired").await;
}

backend_test!(tampered_tokens_are_refused);
async fn tampered_tokens_are_refused(app: &TestApp) {
    let (_, tenant_admin) = app.tenant("TAMPER").await;
    let mut parts: Vec<String> = tenant_admin.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["roles"] = json!(["provider_admin"]);
    payload.as_object_mut().unwrap().remove("tid");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    refused(app, &parts.join("."), "invalid_token").await;
}

backend_test!(tokens_signed_by_an_unknown_key_are_refused);
async fn tokens_signed_by_an_unknown_key_are_refused(app: &TestApp) {
    let stranger = SigningKey::generate().unwrap();
    refused(app, &TokenSigner::new(&stranger).sign(&claims(app, 60)).unwrap(), "invalid_token").await;
    // Same foreign key, but claiming the platform's kid.
    let real = platform_key(app).await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(real.kid().to_owned());
    let forged = jsonwebtoken::encode(
        &header,
        &claims(app, 60),
        &jsonwebtoken::EncodingKey::from_ed_der(stranger.pkcs8_der()),
    )
    .unwrap();
    refused(app, &forged, "invalid_token").await;
}

backend_test!(alg_none_is_refused);
async fn alg_none_is_refused(app: &TestApp) {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(app, 60)).unwrap());
    for header in [r#"{"alg":"none","typ":"JWT"}"#, r#"{"alg":"none"}"#, r#"{"alg":"None","kid":"x"}"#] {
        let token = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(header));
        refused(app, &token, "invalid_token").await;
    }
}

backend_test!(hmac_signed_with_the_public_key_is_refused);
async fn hmac_signed_with_the_public_key_is_refused(app: &TestApp) {
    let real = platform_key(app).await;
    let public = URL_SAFE_NO_PAD.decode(real.jwk().x).unwrap();
    for alg in [jsonwebtoken::Algorithm::HS256, jsonwebtoken::Algorithm::HS512] {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = Some(real.kid().to_owned());
        let token =
            jsonwebtoken::encode(&header, &claims(app, 60), &jsonwebtoken::EncodingKey::from_secret(&public))
                .unwrap();
        refused(app, &token, "invalid_token").await;
    }
}

backend_test!(garbage_and_missing_credentials_are_refused);
async fn garbage_and_missing_credentials_are_refused(app: &TestApp) {
    refused(app, "not-a-jwt", "invalid_token").await;
    let res = app.http.get(app.url("/api/v1/tenants")).send().await.unwrap();
    assert!(res.headers().get("www-authenticate").is_some());
    problem(res, 401, "unauthenticated").await;
}

backend_test!(the_jwks_publishes_the_signing_key);
async fn the_jwks_publishes_the_signing_key(app: &TestApp) {
    let jwks = json_ok(app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap(), 200).await;
    let real = platform_key(app).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["kid"] == real.kid() && k["alg"] == "EdDSA" && k["crv"] == "Ed25519"));
    assert!(keys.iter().all(|k| k.get("d").is_none()), "no private parts");
}
