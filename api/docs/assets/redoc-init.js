// Loaded as a file (not inline) so the page works under `script-src 'self'`.
window.addEventListener('load', function () {
  Redoc.init('/api/v1/openapi.json', {}, document.getElementById('redoc'));
});
