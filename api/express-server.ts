import http from 'node:http';
import type express from 'express';

/**
 * An HTTP server for `app` whose requests and responses are born with the app's prototypes.
 * Express re-parents every request and response it is handed (`Object.setPrototypeOf(req,
 * app.request)`), and V8 pays for each re-parented object. Measured on a bare express app with its
 * client in one process (10,000 kept-alive GETs): 38 -> 24 KB allocated and 8 -> 0 KB carried into
 * the old generation per request, collector pauses 185 -> 42 ms, 182-222 -> 82-95 us per request.
 * setPrototypeOf to the prototype an object already has does nothing. Mounted sub-apps still
 * re-parent their own requests, and hand them back to these prototypes afterwards.
 */
export function createExpressServer(app: express.Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  // Express reads these on every request: from now on they are the classes' own prototypes.
  app.request = AppRequest.prototype as unknown as express.Request;
  app.response = AppResponse.prototype as unknown as express.Response;
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
