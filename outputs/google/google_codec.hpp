// The Google Cloud Logging codec on the shared HTTP sink: records become
// entries:write requests (partialSuccess, within 10 MB and 1,000 entries;
// an entry over 256 KiB is dead-lettered), answers are read per entry
// (WriteLogEntriesPartialErrors), and a 401 makes the signer fetch a new token.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/log.hpp"
#include "agent/metrics.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/google/google_entry.hpp"
#include "outputs/google/google_settings.hpp"

namespace sluice::google {

// Runs on the output's worker thread.
class Codec final : public http::Codec {
 public:
  // project: export_to_project_id or the key file's. When it is "" and
  // metadata_server is set, the metadata server is asked for it (in the
  // background, again at each flush until it answers); meanwhile the
  // records are retried.
  Codec(Settings settings, std::string project, std::string metadata_server = "");

  void start(OutputContext& ctx) override;
  void plan(std::span<const EventRef> events, std::vector<http::PlannedRequest>& requests,
            std::vector<RecordOutcome>& outcomes) override;
  http::Answer read(http::PlannedRequest& sent, http::Response& response,
                    std::span<const EventRef> events) override;

 private:
  void open_request(std::vector<http::PlannedRequest>& requests, const std::string& project);
  void ask_metadata_for_project();

  Settings s_;
  std::string project_;
  std::string metadata_server_;
  boost::asio::io_context* io_ = nullptr;
  std::unique_ptr<http::Client> metadata_;  // made on the first ask
  bool asking_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // the ask's answer holds it weakly
  std::string instance_;
  log::RateLimit project_log_{100};
  EntryEncoder encoder_;
  std::string target_;
  std::string entry_;  // scratch
  Counter* too_large_ = nullptr;
  Counter* rejected_ = nullptr;
};

}  // namespace sluice::google
