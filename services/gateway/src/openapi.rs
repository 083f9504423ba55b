//! Folding the services' OpenAPI documents into one, and saying in it what the platform's
//! shared layers answer on every operation.
//!
//! Each service documents what its handlers answer. What the gateway and the shared HTTP layer
//! answer besides (a missing credential, a cancelled tenant, the rate limit, a body that is not
//! JSON, an id that names nothing…) is the same on every operation that can meet it, so it is
//! added here, from what the operation is (public or not, with a body, a path id, a query, an
//! `If-Match`), instead of being repeated on a hundred annotations.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::routes::{is_public, service_for};

pub const PROBLEM_JSON: &str = "application/problem+json";
const PROBLEM_REF: &str = "#/components/schemas/Problem";

/// Two services that give one schema name to different schemas: in the merged document one
/// would silently stand for the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    pub schema: String,
    pub kept: String,
    pub dropped: String,
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "schema `{}` of the {} service differs from the {} service's schema of that name",
            self.schema, self.dropped, self.kept
        )
    }
}

/// Everything the services' documents contribute to the merged one.
#[derive(Default)]
pub struct Folded {
    pub paths: Map<String, Value>,
    pub schemas: Map<String, Value>,
    pub tags: Vec<Value>,
    /// Which service gave each schema, to name both sides of a clash.
    owners: BTreeMap<String, String>,
    pub clashes: Vec<Clash>,
}

impl Folded {
    /// Adds one service's document: the paths the gateway routes to that service, its schemas
    /// and its tags. A schema name already given to a different schema is a [`Clash`]; the
    /// first one is kept.
    pub fn add(&mut self, service: &str, doc: &Value) {
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                if service_for(path) == Some(service) {
                    self.paths.insert(path.clone(), item.clone());
                }
            }
        }
        let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
        for (name, schema) in schemas.into_iter().flatten() {
            match self.schemas.get(name) {
                Some(known) if known == schema => {}
                Some(_) => self.clashes.push(Clash {
                    schema: name.clone(),
                    kept: self.owners.get(name).cloned().unwrap_or_default(),
                    dropped: service.to_owned(),
                }),
                None => {
                    self.schemas.insert(name.clone(), schema.clone());
                    self.owners.insert(name.clone(), service.to_owned());
                }
            }
        }
        if let Some(tags) = doc.get("tags").and_then(Value::as_array) {
            for tag in tags {
                if !self.tags.contains(tag) {
                    self.tags.push(tag.clone());
                }
            }
        }
    }
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The answers of the shared layers, added to every operation of `paths` that can meet them.
/// An answer the operation already documents keeps its description; a problem it documents as
/// `application/json` is corrected to `application/problem+json`, the type it is sent with.
///
/// A `tenant_id` the caller names (in the path, the query or the body) answers 404 when the
/// tenant does not exist or is not the caller's: tenants do not learn of each other.
pub fn add_standard_problems(paths: &mut Map<String, Value>, schemas: &Map<String, Value>) {
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        let shared_parameters = item.get("parameters").cloned().unwrap_or(Value::Null);
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            let routed = service_for(path).is_some();
            let mut answers: Vec<(u16, &str)> = Vec::new();
            if routed {
                answers
                    .push((429, "Too many requests: the caller's rate limit is spent (see `Retry-After`)"));
            }
            if routed && !is_public(path) {
                answers.push((401, "No credential, or one that is not valid, expired or revoked"));
                answers.push((
                    403,
                    "The caller's role does not allow this, or the caller's tenant is cancelled (or suspended, for a change)",
                ));
            }
            let params = parameters(op, &shared_parameters);
            if params.iter().any(|(_, place)| place == "path") {
                answers.push((404, "No such resource (or not one the caller may see)"));
            }
            if params.iter().any(|(_, place)| place == "query") {
                answers.push((400, "The query string is not understood"));
                answers.push((422, "A query value is invalid (see `errors`)"));
            }
            let names_tenant = params.iter().any(|(name, place)| name == "tenant_id" && place == "query")
                || op.get("requestBody").is_some_and(|body| body_has_property(body, "tenant_id", schemas));
            if names_tenant {
                answers.push((404, "No such tenant (or not one the caller may see)"));
            }
            if params.iter().any(|(name, place)| place == "header" && name.eq_ignore_ascii_case("if-match")) {
                answers.push((400, "`If-Match` is not a version's ETag"));
                answers.push((412, "The resource changed since the version named in `If-Match`"));
            }
            if op.get("requestBody").is_some() {
                answers.push((400, "The body is not valid JSON"));
                answers.push((413, "The body is larger than the limit"));
                answers.push((415, "The body is not sent as `application/json`"));
                answers.push((422, "The body has invalid values (see `errors`)"));
            }
            let responses = op.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            for (status, description) in answers {
                // The first reason given for a status is the one documented.
                responses.entry(status.to_string()).or_insert_with(|| problem_response(description));
            }
            for (status, response) in responses.iter_mut() {
                if status.starts_with('4') || status.starts_with('5') {
                    as_problem_json(response);
                }
            }
        }
    }
}

/// (name, in) of the operation's parameters and of its path item's.
fn parameters(op: &Map<String, Value>, shared: &Value) -> Vec<(String, String)> {
    let own = op.get("parameters").and_then(Value::as_array).into_iter().flatten();
    let shared = shared.as_array().into_iter().flatten();
    own.chain(shared)
        .filter_map(|p| Some((p.get("name")?.as_str()?.to_owned(), p.get("in")?.as_str()?.to_owned())))
        .collect()
}

/// Whether a request body's JSON schema (or one of its alternatives) has this property.
fn body_has_property(body: &Value, property: &str, schemas: &Map<String, Value>) -> bool {
    let Some(schema) = body.pointer("/content/application~1json/schema") else { return false };
    has_property(schema, property, schemas, 0)
}

fn has_property(schema: &Value, property: &str, schemas: &Map<String, Value>, depth: u8) -> bool {
    if depth > 4 {
        return false;
    }
    if let Some(name) =
        schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return schemas.get(name).is_some_and(|s| has_property(s, property, schemas, depth + 1));
    }
    if schema.pointer(&format!("/properties/{property}")).is_some() {
        return true;
    }
    ["allOf", "oneOf", "anyOf"].iter().any(|key| {
        schema
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|all| all.iter().any(|s| has_property(s, property, schemas, depth + 1)))
    })
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    })
}

/// A problem response documented as `application/json` (utoipa's default for a body) is sent
/// as `application/problem+json`; one documented without a body gets the problem's.
fn as_problem_json(response: &mut Value) {
    let Some(response) = response.as_object_mut() else { return };
    if response.contains_key("$ref") {
        return;
    }
    let content = response.entry("content").or_insert_with(|| json!({}));
    let Some(content) = content.as_object_mut() else { return };
    if content.is_empty() {
        content.insert(PROBLEM_JSON.into(), json!({"schema": {"$ref": PROBLEM_REF}}));
        return;
    }
    let is_problem =
        |media: &Value| media.pointer("/schema/$ref").and_then(Value::as_str) == Some(PROBLEM_REF);
    if let Some(media) = content.get("application/json").filter(|m| is_problem(m)).cloned() {
        content.remove("application/json");
        content.insert(PROBLEM_JSON.into(), media);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: Value) -> Value {
        json!({"paths": {}, "components": {"schemas": schemas}})
    }

    #[test]
    fn two_different_schemas_with_one_name_are_a_clash() {
        let mut folded = Folded::default();
        folded.add("billing", &doc(json!({"RunView": {"type": "object", "required": ["period"]}})));
        folded.add("scheduler", &doc(json!({"RunView": {"type": "object", "required": ["schedule_id"]}})));
        assert_eq!(
            folded.clashes,
            vec![Clash { schema: "RunView".into(), kept: "billing".into(), dropped: "scheduler".into() }]
        );
        assert_eq!(folded.schemas["RunView"]["required"][0], "period", "the first one is kept");
    }

    #[test]
    fn one_schema_shared_by_every_service_is_no_clash() {
        let problem = json!({"Problem": {"type": "object", "required": ["code"]}});
        let mut folded = Folded::default();
        folded.add("tenants", &doc(problem.clone()));
        folded.add("catalog", &doc(problem));
        assert!(folded.clashes.is_empty());
        assert_eq!(folded.schemas.len(), 1);
    }

    #[test]
    fn only_the_paths_routed_to_a_service_are_taken_from_it() {
        let mut folded = Folded::default();
        let ok = json!({"responses": {"200": {"description": "OK"}}});
        folded.add(
            "billing",
            &json!({"paths": {
                "/api/v1/billing/runs": {"get": ok},
                "/api/v1/tickets": {"get": ok},
                "/internal/v1/x": {"get": ok},
            }}),
        );
        assert_eq!(folded.paths.keys().collect::<Vec<_>>(), ["/api/v1/billing/runs"]);
    }

    fn statuses(paths: &Map<String, Value>, path: &str, method: &str) -> Vec<String> {
        let mut s: Vec<String> =
            paths[path][method]["responses"].as_object().unwrap().keys().cloned().collect();
        s.sort();
        s
    }

    #[test]
    fn standard_problems_follow_what_an_operation_is() {
        let ok = json!({"200": {"description": "OK"}});
        let mut paths = json!({
            "/api/v1/auth/login": {"post": {"requestBody": {}, "responses": ok.clone()}},
            "/api/v1/tickets": {"get": {"parameters": [{"name": "limit", "in": "query"}], "responses": ok.clone()}},
            "/api/v1/tickets/{id}": {"patch": {
                "parameters": [{"name": "id", "in": "path"}, {"name": "If-Match", "in": "header"}],
                "requestBody": {},
                "responses": {"200": {"description": "OK"}, "409": {"description": "Conflict", "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}}}},
            }},
            "/api/v1/tenants/{id}/suspend": {"post": {"parameters": [{"name": "id", "in": "path"}], "responses": ok}},
        });
        let paths = paths.as_object_mut().unwrap();
        add_standard_problems(paths, &Map::new());
        // Public: no 401/403; a body: 400, 413, 415, 422.
        assert_eq!(statuses(paths, "/api/v1/auth/login", "post"), ["200", "400", "413", "415", "422", "429"]);
        assert_eq!(statuses(paths, "/api/v1/tickets", "get"), ["200", "400", "401", "403", "422", "429"]);
        assert_eq!(
            statuses(paths, "/api/v1/tickets/{id}", "patch"),
            ["200", "400", "401", "403", "404", "409", "412", "413", "415", "422", "429"]
        );
        // No body: no 415/422.
        assert_eq!(
            statuses(paths, "/api/v1/tenants/{id}/suspend", "post"),
            ["200", "401", "403", "404", "429"]
        );
        let conflict = &paths["/api/v1/tickets/{id}"]["patch"]["responses"]["409"];
        assert_eq!(conflict["description"], "Conflict", "a documented answer keeps its words");
        assert!(conflict["content"].get("application/json").is_none());
        assert_eq!(conflict["content"][PROBLEM_JSON]["schema"]["$ref"], PROBLEM_REF);
        let limited = &paths["/api/v1/tickets"]["get"]["responses"]["429"];
        assert_eq!(limited["content"][PROBLEM_JSON]["schema"]["$ref"], PROBLEM_REF);
    }

    #[test]
    fn naming_a_tenant_can_answer_404() {
        let ok = json!({"200": {"description": "OK"}});
        let body = |schema: Value| json!({"content": {"application/json": {"schema": schema}}});
        let schemas = json!({
            "NewTicket": {"type": "object", "properties": {"tenant_id": {"type": "string"}, "title": {"type": "string"}}},
            "Login": {"type": "object", "properties": {"email": {"type": "string"}}},
        });
        let mut paths = json!({
            "/api/v1/tickets": {
                "post": {"requestBody": body(json!({"$ref": "#/components/schemas/NewTicket"})), "responses": ok.clone()},
                "get": {"parameters": [{"name": "tenant_id", "in": "query"}], "responses": ok.clone()},
            },
            "/api/v1/auth/login": {"post": {"requestBody": body(json!({"$ref": "#/components/schemas/Login"})), "responses": ok}},
        });
        let paths = paths.as_object_mut().unwrap();
        add_standard_problems(paths, schemas.as_object().unwrap());
        assert!(statuses(paths, "/api/v1/tickets", "post").contains(&"404".to_owned()));
        assert!(statuses(paths, "/api/v1/tickets", "get").contains(&"404".to_owned()));
        assert!(!statuses(paths, "/api/v1/auth/login", "post").contains(&"404".to_owned()));
        let limited = &paths["/api/v1/tickets"]["get"]["responses"]["429"];
        assert_eq!(limited["content"][PROBLEM_JSON]["schema"]["$ref"], PROBLEM_REF);
    }
}
