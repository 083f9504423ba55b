// Starts Swagger UI on the merged document (a file of its own: the page's CSP allows no inline script).
window.ui = SwaggerUIBundle({
  url: "/api-docs/openapi.json",
  dom_id: "#api",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
});
