// One record → one Cloud Logging LogEntry (JSON): logName, resource,
// timestamp, severity, a stable insertId, labels, trace/spanId/traceSampled,
// httpRequest, operation, sourceLocation, and the rest of the record as
// jsonPayload (or textPayload). A pure function of its inputs: golden-tested.
#pragma once
#include <string>
#include <string_view>

#include "agent/chunk.hpp"
#include "outputs/common/record_id.hpp"
#include "outputs/google/google_settings.hpp"

namespace sluice::google {

// Cloud Logging's LogSeverity for a record's value: a name (any case, with
// the usual aliases) or a number (0-800 in steps of 100, or syslog's 0-7).
// "" when the value means none of them.
std::string_view severity_of(const Value& v);

// The LOG_ID of logName for a name: characters Cloud Logging allows
// ([A-Za-z0-9/_.-]) kept, '/' percent-encoded as the API wants it, any other
// character replaced by '_'; at most 512 characters.
std::string log_id(std::string_view name);

// Runs on the output's worker thread; not thread-safe (the id hasher).
class EntryEncoder {
 public:
  explicit EntryEncoder(const Settings& settings) : s_(settings) {}

  // Appends the entry for one event to out.
  void encode(const std::string& tag, const Event& e, std::string_view project, std::string& out);
  // The request's resource (the configured type and labels; k8s labels read
  // per record go on each entry instead).
  void append_default_resource(std::string& out, std::string_view project) const;
  // True when each entry carries its own resource (k8s types, resource_labels).
  bool per_entry_resource() const;

 private:
  void append_resource(std::string& out, std::string_view project, const std::string& tag, const Value& record) const;

  const Settings& s_;
  RecordIdHasher hasher_;
  std::string payload_;  // scratch: the jsonPayload, hashed for the insertId
};

}  // namespace sluice::google
