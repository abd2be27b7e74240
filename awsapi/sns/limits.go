package snsapi

// MaxRequestBytes is the largest request body the API reads (a 256 KiB
// message URL-encoded, with its attributes), for a front door that refuses
// a larger one before reading it.
const MaxRequestBytes = maxRequestBytes
