declare const __COPYFORGE_VERSION__: string;

/** The version of this SDK build (from package.json, injected at build time). */
export const VERSION: string = __COPYFORGE_VERSION__;
