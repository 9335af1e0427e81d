// What the kubernetes filter does to one record: Merge_Log (the `log` field
// read as JSON or by a parser, its fields merged into the record or under
// merge_log_key), then the `kubernetes` and `kubernetes_namespace` maps
// appended. Pure: the filter decides which maps and which parser.
#pragma once
#include <string>
#include <vector>

#include "agent/chunk.hpp"

namespace sluice {
class Parser;
class ParseFormat;
}  // namespace sluice

namespace sluice::kube {

struct MergeSettings {
  bool merge_log = false;
  std::string merge_log_key;  // "": merged fields at the top level
  bool trim = true;           // merge_log_trim: trailing newlines off merged strings
  bool keep_log = true;       // keep `log` once merged
};

// How `log` was merged, for the filter's counters.
enum class Merged { NotAsked, NoLog, Merged, NotParsed };

// kubernetes / kubernetes_namespace: null Values are not added. parser: the
// pod's annotation parser or merge_parser; null reads `log` as JSON (one
// object). A parser's time (its time_key) becomes the event's time.
Merged enrich(Event& event, Arena& arena, const MergeSettings& settings, const Parser* parser, ParseFormat& json,
              const Value& kubernetes, const Value& kubernetes_namespace, std::vector<Member>& scratch);

// Trailing newlines, carriage returns and their escaped forms (the two
// characters \n, \r) cut off: Fluent Bit's merge_log_trim.
std::string_view trim_newlines(std::string_view s);

}  // namespace sluice::kube
