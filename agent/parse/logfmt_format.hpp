// The `logfmt` parse format (key=value pairs), with Fluent Bit's rules.
#pragma once
#include <memory>

#include "agent/parse/parser.hpp"

namespace sluice {

// `key=value`, `key="quoted \"value\""` (escapes \" \\ \n \t \r \/ \b \f
// \uXXXX), `key=` (empty string) and bare `key` (true). Bytes that can't
// start a key are skipped; values are strings; the first newline ends the
// record; duplicate keys: the last wins. Text without any key fails.
// no_bare_keys (Fluent Bit's logfmt_no_bare_keys): a bare key makes the
// whole text fail to parse instead.
std::unique_ptr<ParseFormat> make_logfmt_format(bool no_bare_keys = false);

}  // namespace sluice
