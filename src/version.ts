/** The imagetrail release; the in-process runtime reports the same version. Set at build time. */
declare const __IMAGETRAIL_VERSION__: string | undefined;
export const VERSION: string = typeof __IMAGETRAIL_VERSION__ === 'string' ? __IMAGETRAIL_VERSION__ : '0.2.0';
export const RUNTIME_VERSION = VERSION;
