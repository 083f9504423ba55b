//! A real browser for the behavioural suite: headless Chromium driven over WebDriver by a
//! chromedriver of its own, with helpers that act as a person does (fields found by their
//! label, buttons and links by their text, the Tab key) and the console's errors, CSP
//! violations among them, for the test to assert on.
//!
//! Needs Debian's `chromium` and `chromium-driver` (tests/run installs them when it runs as
//! root); CANOPY_CHROMIUM and CANOPY_CHROMEDRIVER name other binaries. Every helper panics
//! with what it saw when the page does not do what the test expects.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::helpers::eventually;

pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// The key under which WebDriver hands a DOM element to the client.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Shared by the scripts below: text with its white space collapsed, whether an element is
/// rendered, and a label's own text, without that of the control it wraps (a select's options).
const JS_PRELUDE: &str = "const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
const shown = el => el.checkVisibility({visibilityProperty: true});
const own = label => {
  const copy = label.cloneNode(true);
  copy.querySelectorAll('input, select, textarea, button').forEach(e => e.remove());
  return norm(copy.textContent);
};";

/// The control whose visible `<label>` (by `for` or by wrapping it) reads `arguments[0]`.
const JS_LABELLED: &str = "
const labels = [...document.querySelectorAll('label')].filter(shown);
const hit = labels.find(l => l.control && own(l) === arguments[0]);
return {found: hit ? hit.control : null, seen: labels.map(own)};";

/// The visible element of `arguments[1]` (a CSS selector) whose text, value or aria-label
/// reads `arguments[0]`.
const JS_NAMED: &str = "
const names = el => [norm(el.tagName === 'INPUT' ? el.value : el.innerText),
                     norm(el.getAttribute('aria-label'))].filter(n => n);
const all = [...document.querySelectorAll(arguments[1])].filter(shown);
return {found: all.find(el => names(el).includes(arguments[0])) || null,
        seen: all.map(el => names(el).join(' / '))};";

/// The opening tag of every visible field that nothing names: no label with text, no
/// aria-label, no aria-labelledby.
const JS_UNLABELLED: &str = "
const skip = ['hidden', 'submit', 'button', 'reset', 'image'];
const named = el => [...el.labels].some(own)
  || norm(el.getAttribute('aria-label'))
  || norm(el.getAttribute('aria-labelledby')).split(' ')
       .some(id => id && norm(document.getElementById(id)?.textContent));
return [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !skip.includes(el.type) && shown(el) && !named(el))
  .map(el => el.outerHTML.match(/^<[^>]*>/)[0]);";

/// What the focused element says to a person: a field its labels and aria-label (a button
/// input its value), anything else its text and aria-label; its opening tag when it says
/// nothing.
const JS_FOCUSED: &str = "
const el = document.activeElement;
if (!el || el === document.body) return '(nothing focused)';
const parts = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)
  ? [...el.labels].map(own).concat(['submit', 'button', 'reset'].includes(el.type) ? el.value : '')
  : [el.innerText];
parts.push(el.getAttribute('aria-label'));
return norm(parts.join(' ')) || el.outerHTML.match(/^<[^>]*>/)[0];";

/// Headless Chromium, in a session of the chromedriver it owns. Dropping it (even while
/// the test panics) closes the browser and stops chromedriver.
pub struct Browser {
    client: Client,
    session: String,
    /// The running test's name: the folder of its screenshots.
    test: String,
    // Dropped after `Drop::drop` has ended the session.
    chromedriver: Chromedriver,
}

/// The chromedriver process, killed when dropped: also when the browser's start fails.
struct Chromedriver {
    process: Child,
    url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A killed chromedriver leaves its Chromium running: end the session first, which
        // closes the browser. Drop may run inside the test's runtime: from a thread with its own.
        let url = format!("{}/session/{}", self.chromedriver.url, self.session);
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                let _ = reqwest::Client::new().delete(url).timeout(Duration::from_secs(10)).send().await;
            });
        })
        .join();
    }
}

/// The browser's console log (`goog:loggingPrefs`), from chromedriver's legacy endpoint:
/// WebDriver itself has no command for it.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

impl Browser {
    /// Starts chromedriver on a free port and headless Chromium through it, at desktop size,
    /// speaking `locale` (e.g. `de-DE`): its interface language and Accept-Language.
    pub async fn start(locale: &str) -> Self {
        let chromium = chromium();
        let driver = std::env::var("CANOPY_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver (`{driver}`) is needed by the browser tests: install Debian's \
                     `chromium-driver` package (tests/run does when run as root), or set \
                     CANOPY_CHROMEDRIVER: {e}"
                )
            });
        let mut chromedriver = Chromedriver { process, url: format!("http://127.0.0.1:{port}") };
        let http = reqwest::Client::new();
        let status = format!("{}/status", chromedriver.url);
        eventually("chromedriver answers", Duration::from_secs(20), async || {
            let answer = match http.get(&status).send().await {
                Ok(res) => res.json::<Value>().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            // Checked after the answer, so that it is our chromedriver that gave it.
            if let Ok(Some(exit)) = chromedriver.process.try_wait() {
                panic!("chromedriver (`{driver}`) stopped at start: {exit}");
            }
            match answer? {
                s if s["value"]["ready"] == true => Ok(()),
                s => Err(s.to_string()),
            }
        })
        .await;

        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--lang={locale}")],
                "prefs": {"intl.accept_languages": locale},
            },
            // Keeps the console's entries for `console_errors`.
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.as_object().unwrap().clone())
            .connect(&chromedriver.url)
            .await
            .unwrap_or_else(|e| {
                panic!("a session of Chromium ({}) through chromedriver: {e}", chromium.display())
            });
        let session = client.session_id().await.unwrap().expect("a WebDriver session id");
        // libtest runs each test on a thread named after it.
        let test = std::thread::current().name().unwrap_or("unnamed").replace("::", ".");
        let browser = Self { client, session, test, chromedriver };
        browser.desktop().await;
        browser
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub async fn current_path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.try_text().await.unwrap_or_else(|e| panic!("the page's text: {e}"))
    }

    async fn try_text(&self) -> Result<String, fantoccini::error::CmdError> {
        self.client.find(Locator::Css("body")).await?.text().await
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str, timeout: Duration) {
        eventually(&format!("the page shows `{text}`"), timeout, async || match self.try_text().await {
            Ok(seen) if seen.contains(text) => Ok(()),
            Ok(seen) => Err(format!("the page reads: {}", seen.chars().take(2000).collect::<String>())),
            Err(e) => Err(e.to_string()),
        })
        .await;
    }

    /// Types `value` into the field labelled `label` (a select: chooses the option `value`).
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.labelled(label).await;
        if field.tag_name().await.unwrap() == "select" {
            return self.select(label, value).await;
        }
        field.clear().await.unwrap_or_else(|e| panic!("clear `{label}`: {e}"));
        field.send_keys(value).await.unwrap_or_else(|e| panic!("type into `{label}`: {e}"));
    }

    /// Chooses the option reading `option` in the select labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        let field = self.labelled(label).await;
        field.select_by_label(option).await.unwrap_or_else(|e| panic!("choose `{option}` in `{label}`: {e}"));
    }

    /// Ticks the checkbox (or radio button) labelled `label`, unless it already is.
    pub async fn check(&self, label: &str) {
        let field = self.labelled(label).await;
        if !field.is_selected().await.unwrap() {
            field.click().await.unwrap_or_else(|e| panic!("tick `{label}`: {e}"));
        }
        assert!(field.is_selected().await.unwrap(), "`{label}` is not ticked after a click");
    }

    /// Clicks the visible button whose text (or aria-label) is `text`.
    pub async fn click_button(&self, text: &str) {
        let selector = "button, input[type=submit], input[type=button], input[type=reset], [role=button]";
        let button = self.named("button", text, selector).await;
        button.click().await.unwrap_or_else(|e| panic!("click the button `{text}`: {e}"));
    }

    /// Clicks the visible link whose text (or aria-label) is `text`.
    pub async fn click_link(&self, text: &str) {
        let link = self.named("link", text, "a[href]").await;
        link.click().await.unwrap_or_else(|e| panic!("click the link `{text}`: {e}"));
    }

    /// Presses Tab until the focused element's text or label contains `text`, and gives it;
    /// fails after a whole round of the page's focus order without it.
    pub async fn tab_to(&self, text: &str) -> Element {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: Key::Tab.into() })
            .then(KeyAction::Up { value: Key::Tab.into() });
        let mut visited: Vec<ElementRef> = Vec::new();
        let mut said: Vec<String> = Vec::new();
        loop {
            self.client.perform_actions(tab.clone()).await.unwrap_or_else(|e| panic!("press Tab: {e}"));
            let focused = self.client.active_element().await.unwrap();
            let name = self.script(JS_FOCUSED, vec![]).await;
            let name = name.as_str().unwrap_or_default().to_owned();
            if name.contains(text) {
                return focused;
            }
            if visited.contains(&focused.element_id()) || visited.len() >= 200 {
                panic!("Tab never reaches `{text}`; it goes through: {said:?}");
            }
            visited.push(focused.element_id());
            said.push(name);
        }
    }

    /// Saves a PNG of the viewport as `<CARGO_TARGET_TMPDIR>/screenshots/<test>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap_or_else(|e| panic!("screenshot `{name}`: {e}"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join(&self.test);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// A phone's viewport: 390 × 844 CSS pixels.
    pub async fn phone(&self) {
        self.viewport(PHONE).await;
    }

    /// A desktop's viewport, the size it starts at: 1280 × 900.
    pub async fn desktop(&self) {
        self.viewport(DESKTOP).await;
    }

    /// Sizes the window so that the page gets `width` × `height`: headless Chromium keeps
    /// room above the page for a window's toolbars, as a visible one would.
    async fn viewport(&self, (width, height): (u32, u32)) {
        self.client.set_window_size(width, height).await.unwrap();
        let bars = self.script("return outerHeight - innerHeight", vec![]).await;
        let bars = bars.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        self.client.set_window_size(width, height + bars).await.unwrap();
    }

    /// The opening tag of every visible input, select and textarea (bar hidden inputs and
    /// buttons) that has no label with text, no aria-label and no aria-labelledby.
    pub async fn unlabelled_fields(&self) -> Vec<String> {
        serde_json::from_value(self.script(JS_UNLABELLED, vec![]).await).unwrap()
    }

    /// The console's errors (level SEVERE: script errors, failed loads, CSP violations)
    /// since the previous call: reading the log empties it.
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap_or_else(|e| panic!("the console log: {e}"));
        let entries = log.as_array().unwrap_or_else(|| panic!("the console log is a list: {log}"));
        entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The cookies the browser holds for the current page.
    pub async fn cookies(&self) -> Vec<Cookie<'static>> {
        self.client.get_all_cookies().await.unwrap()
    }

    async fn script(&self, body: &str, args: Vec<Value>) -> Value {
        let script = format!("{JS_PRELUDE}\n{body}");
        self.client.execute(&script, args).await.unwrap_or_else(|e| panic!("script in the page: {e}"))
    }

    /// The field whose visible label reads `label`.
    async fn labelled(&self, label: &str) -> Element {
        let found = self.script(JS_LABELLED, vec![json!(label)]).await;
        match self.element(&found["found"]) {
            Some(field) => field,
            None => {
                panic!("no field labelled `{label}` on {}; its labels: {}", self.page().await, found["seen"])
            }
        }
    }

    /// The visible `what` (button, link) of `selector` named `name`.
    async fn named(&self, what: &str, name: &str, selector: &str) -> Element {
        let found = self.script(JS_NAMED, vec![json!(name), json!(selector)]).await;
        match self.element(&found["found"]) {
            Some(element) => element,
            None => panic!("no {what} `{name}` on {}; its {what}s: {}", self.page().await, found["seen"]),
        }
    }

    /// The current page's address, shortened, for failure messages.
    async fn page(&self) -> String {
        let url = self.client.current_url().await.map(String::from).unwrap_or_default();
        url.chars().take(120).collect()
    }

    fn element(&self, found: &Value) -> Option<Element> {
        let id = found.get(ELEMENT_KEY)?.as_str()?;
        Some(Element::from_element_id(self.client.clone(), ElementRef::from(id.to_owned())))
    }
}

/// The Chromium binary: CANOPY_CHROMIUM, or `chromium` on PATH (chromedriver wants a path).
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CANOPY_CHROMIUM") {
        return path.into();
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "Chromium is needed by the browser tests: install Debian's `chromium` package \
                 (tests/run does when run as root), or set CANOPY_CHROMIUM"
            )
        })
}
