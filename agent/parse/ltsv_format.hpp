// The `ltsv` parse format (Labeled Tab-Separated Values, ltsv.org), with
// Fluent Bit's rules.
#pragma once
#include <memory>

#include "agent/parse/parser.hpp"

namespace sluice {

// `label:value<TAB>label:value...`: a label is [0-9A-Za-z_.-]+, a value any
// bytes but NUL, TAB, CR and LF (may be empty). Values are strings. A field
// with an empty label is skipped; a label not followed by ':' ends the
// record, and so does the first line end (one record per line). Duplicate
// labels: the last wins. Text without any field fails.
std::unique_ptr<ParseFormat> make_ltsv_format();

}  // namespace sluice
