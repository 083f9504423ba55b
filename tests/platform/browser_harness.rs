//! The browser harness (`browser.rs`) on the gateway's API docs, Swagger UI drawn by a script
//! of its own under the strict CSP, and on a form of its own that each helper acts on.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use serde_json::json;

use crate::browser::{Browser, DESKTOP, PHONE};
use crate::helpers::*;

backend_test!(the_api_docs_render_in_a_real_browser_without_console_errors);
async fn the_api_docs_render_in_a_real_browser_without_console_errors(app: &TestApp) {
    let browser = Browser::start("de-DE").await;
    browser.goto(&app.url("/docs")).await;
    // Swagger UI has fetched the merged document and drawn its operations.
    browser.wait_for_text("/api/v1/auth/login", Duration::from_secs(30)).await;
    assert_eq!(browser.current_path().await, "/docs");
    assert!(browser.text().await.contains("Canopy API"));
    assert!(browser.cookies().await.is_empty(), "the docs page sets no cookie");
    let language = browser.client().execute("return navigator.languages", vec![]).await.unwrap();
    assert_eq!(language[0], "de-DE");

    let desktop = browser.screenshot("desktop").await;
    browser.phone().await;
    let phone = browser.screenshot("phone").await;
    assert_png(&desktop, DESKTOP);
    assert_png(&phone, PHONE);
    browser.desktop().await;
    let size = browser.client().execute("return [innerWidth, innerHeight]", vec![]).await.unwrap();
    assert_eq!(size, json!([DESKTOP.0, DESKTOP.1]));
    // Nothing went wrong while the page loaded, drew and changed size.
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    // An inline script the CSP refuses shows up among the console's errors.
    let inject = "const s = document.createElement('script'); s.textContent = 'window.injected = 1'; \
                  document.body.append(s);";
    browser.client().execute(inject, vec![]).await.unwrap();
    eventually("the CSP violation is logged", Duration::from_secs(5), async || {
        let errors = browser.console_errors().await;
        if errors.iter().any(|e| e.contains("Content Security Policy")) {
            Ok(())
        } else {
            Err(format!("{errors:?}"))
        }
    })
    .await;
}

/// A PNG of `width` × `height` pixels, with more in it than a blank page.
fn assert_png(path: &Path, (width, height): (u32, u32)) {
    let png = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is a PNG", path.display());
    // The IHDR chunk comes first: width, then height, big-endian.
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (width, height), "{}", path.display());
    assert!(png.len() > 20_000, "{} has only {} bytes", path.display(), png.len());
}

const FORM: &str = r##"<!doctype html><html lang="en"><title>Form</title>
<form id="form">
  <label for="full-name">Full name</label> <input id="full-name" name="full_name">
  <label>Country <select name="country"><option>France</option><option>Germany</option></select></label>
  <label><input type="checkbox" name="remember"> Remember me</label>
  <textarea name="notes" aria-label="Notes"></textarea>
  <input type="hidden" name="csrf" value="token">
  <input name="nickname">
  <button type="button" id="save">Save</button>
</form>
<a href="#next" id="next">Next step</a>
<p id="out"></p>
<script>
  const form = document.getElementById('form'), out = document.getElementById('out');
  document.getElementById('save').onclick = () => out.textContent =
    `saved ${form.full_name.value} in ${form.country.value}, remembered: ${form.remember.checked}`;
  // A data: page may not navigate, even to its own fragment.
  document.getElementById('next').onclick = event => { event.preventDefault(); out.textContent = 'followed'; };
</script>"##;

#[tokio::test]
async fn the_harness_acts_on_a_form_as_a_person_does() {
    let browser = Browser::start("en-GB").await;
    let page = base64::engine::general_purpose::STANDARD.encode(FORM);
    browser.goto(&format!("data:text/html;base64,{page}")).await;
    assert_eq!(browser.unlabelled_fields().await, [r#"<input name="nickname">"#]);

    assert!(browser.tab_to("Save").await.text().await.unwrap() == "Save");
    browser.fill("Full name", "Ada Lovelace").await;
    browser.select("Country", "Germany").await;
    browser.check("Remember me").await;
    browser.check("Remember me").await;
    browser.click_button("Save").await;
    browser.wait_for_text("saved Ada Lovelace in Germany, remembered: true", Duration::from_secs(5)).await;
    browser.click_link("Next step").await;
    browser.wait_for_text("followed", Duration::from_secs(5)).await;

    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.client().execute("console.error('on purpose', arguments[0])", vec![json!(42)]).await.unwrap();
    let errors = browser.console_errors().await;
    assert!(errors.len() == 1 && errors[0].contains("on purpose"), "{errors:?}");
}
