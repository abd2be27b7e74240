// Package web owns Ferry's dashboard: one HTML page with small hand-written
// JavaScript views (the stack graph, invocations, the trace of one event
// across hops, the queue browser and an async-invoke form) and the JSON API
// under /_ferry/api/ that feeds them. Assets are embedded; nothing is loaded
// from outside the server.
//
// The dashboard reads and acts only through Source, which cmd/ferry
// implements by adapting the real services. The package also lays the stack
// graph out (layered, left to right) and renders it as Mermaid and Graphviz
// DOT text for `ferry graph`.
//
// The page carries the token SetToken gives it and sends it in TokenHeader
// with every API call; whoever mounts the handler checks it.
package web
