// jsdom (a dependency of metascraper) ships no typings; this covers what the consent page test uses.
declare module 'jsdom' {
  // The project compiles without the DOM lib: tests reach into the page's window loosely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  type PageWindow = any;

  interface Options {
    url?: string;
    runScripts?: 'dangerously';
    resources?: 'usable';
    virtualConsole?: VirtualConsole;
    beforeParse?(window: PageWindow): void;
  }

  export class VirtualConsole {
    on(event: 'jsdomError', listener: (err: Error) => void): this;
  }

  export class JSDOM {
    constructor(html: string, options?: Options);
    readonly window: PageWindow;
  }
}
