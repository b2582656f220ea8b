// Loaded as a file (not inline) so the page works under `script-src 'self'`.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // The default validator badge calls validator.swagger.io; the docs make no third-party requests.
    validatorUrl: null,
  });
});
