// The Google Cloud Logging codec on the shared HTTP sink: records become
// entries:write requests (partialSuccess, within 10 MB and 1,000 entries;
// an entry over 256 KiB is dead-lettered), answers are read per entry
// (WriteLogEntriesPartialErrors), and a 401 makes the signer fetch a new token.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "agent/metrics.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/google/google_entry.hpp"
#include "outputs/google/google_settings.hpp"

namespace sluice::google {

// The project to write to: export_to_project_id, or the credentials' own
// once known; "" while it isn't (the records are retried until it is).
using ProjectFn = std::function<std::string()>;

// Runs on the output's worker thread.
class Codec final : public http::Codec {
 public:
  Codec(Settings settings, ProjectFn project);

  void start(OutputContext& ctx) override;
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override;
  http::Answer read(http::PlannedRequest& sent, http::Response& response,
                    std::span<const EventRef> events) override;

 private:
  void open_request(std::vector<http::PlannedRequest>& requests, const std::string& project);

  Settings s_;
  ProjectFn project_;
  EntryEncoder encoder_;
  std::string target_;
  std::string entry_;  // scratch
  Counter* too_large_ = nullptr;
  Counter* rejected_ = nullptr;
};

}  // namespace sluice::google
