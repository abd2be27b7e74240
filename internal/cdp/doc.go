// Package cdp drives a headless Chromium over the Chrome DevTools Protocol
// for Ferry's browser tests. It owns the browser process (its whole process
// group, killed and reaped by Close), one websocket to it (a minimal RFC
// 6455 client written here, standard library only), and the tabs opened
// through it.
//
// Start and Close are the plain API; Launch and Open wrap them for tests:
// Launch skips a test when no Chromium is installed and closes the browser
// on cleanup, and a Page fails its test on a JavaScript error or a timeout.
package cdp
