// The start page's sign-in and tenant list (a file of its own: the page's CSP allows no inline script).
const store = window.sessionStorage;
const api = async (method, path, body) => {
  const headers = { "content-type": "application/json" };
  const token = store.getItem("access_token");
  if (token) headers.authorization = "Bearer " + token;
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data && data.detail ? data.detail : res.statusText);
  return data;
};
const text = (el, value) => { document.getElementById(el).textContent = value; };
async function show() {
  const me = await api("GET", "/api/v1/auth/me");
  text("hello", "Hello, " + me.display_name);
  text("roles", me.email + " · " + me.roles.join(", "));
  const page = await api("GET", "/api/v1/tenants?limit=50");
  const body = document.getElementById("tenants");
  body.replaceChildren(...page.items.map(t => {
    const row = document.createElement("tr");
    for (const v of [t.key, t.name, t.status, t.tier]) { const td = document.createElement("td"); td.textContent = v; row.append(td); }
    return row;
  }));
  document.getElementById("signin").hidden = true;
  document.getElementById("home").hidden = false;
}
document.getElementById("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  text("error", "");
  try {
    const tokens = await api("POST", "/api/v1/auth/login", {
      email: document.getElementById("email").value, password: document.getElementById("password").value });
    store.setItem("access_token", tokens.access_token);
    store.setItem("refresh_token", tokens.refresh_token);
    await show();
  } catch (err) { text("error", err.message); }
});
document.getElementById("signout").addEventListener("click", async () => {
  try { await api("POST", "/api/v1/auth/logout", { refresh_token: store.getItem("refresh_token") }); } catch (_) {}
  store.clear();
  location.reload();
});
if (store.getItem("access_token")) show().catch(() => store.clear());
