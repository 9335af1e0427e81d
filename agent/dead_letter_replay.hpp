// `sluice dead-letter replay`: re-sends dead-lettered records through the
// outputs of a configuration once the user fixed the cause (a mapping,
// credentials), and marks what was re-sent so a second replay skips it.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "agent/config/yaml_loader.hpp"
#include "agent/dead_letter_reader.hpp"

namespace sluice {

struct ReplayOptions {
  DeadLetterSelection select;
  bool dry_run = false;  // say what would be sent, send nothing
  // How long each output may take to deliver (with its retries) what it was
  // given; what is left is not marked, so a next replay sends it.
  std::chrono::nanoseconds timeout = std::chrono::seconds(60);
};

// Builds each output named by the selected lines from cfg (the service's
// factories and OutputRunner: batching, retries, dead-lettering), sends the
// records with their tag, time and record, waits for the outcome, and
// appends a mark per record that is done (delivered, or dead-lettered again
// as a new line with the new reason) to <file>.replayed. Malformed lines are
// reported (file:line) and skipped. Prints what it did to out, problems to
// err. Returns 0 when every selected record was delivered, 1 otherwise.
// Throws config::ConfigError when an output can't be built.
int replay_dead_letters(const config::PipelineConfig& cfg, const ReplayOptions& options, std::ostream& out,
                        std::ostream& err);

}  // namespace sluice
