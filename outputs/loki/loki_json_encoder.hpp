// Loki's JSON push body, a pure function of a PushBatch:
//   {"streams":[{"stream":{"job":"sluice"},"values":[["<unix ns>","<line>",{"k":"v"}]]}]}
// Times are strings of Unix nanoseconds; the third element (structured
// metadata, Loki >= 3.0) only when the entry has some.
#pragma once
#include <string>

#include "outputs/loki/loki_streams.hpp"

namespace sluice::loki {

// Replaces out with the JSON PushRequest of batch.
void encode_push_json(const PushBatch& batch, std::string& out);

}  // namespace sluice::loki
