// OpenSSL's error queue read into a message, for the wrappers in this folder.
#pragma once
#include <string>

namespace sluice::crypto {

// The reason of OpenSSL's most recent error ("no start line", "bad base64
// decode"), then the thread's error queue emptied: the TLS code on this
// thread reads that queue, and a stale entry would be blamed on a connection.
std::string take_openssl_error();

}  // namespace sluice::crypto
