// The `forward` output's messages: a batch's records as Forward-protocol
// messages, one per run of records with the same outgoing tag (and at most
// kMessageBytes of entries each). Pure; no I/O.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "agent/output.hpp"
#include "outputs/forward/forward_settings.hpp"

namespace sluice::forward_out {

struct Message {
  std::string bytes;   // the whole MessagePack message, ready to write
  std::string chunk;   // its ack id (require_ack_response), else ""
  uint32_t first = 0;  // the records it carries: [first, first + count) in Batch::for_each order
  uint32_t count = 0;
};

// Forward mode, [tag, [[time, record], ...], options?]; with compress gzip
// CompressedPackedForward, [tag, bin(gzip(entries)), options]. Options, when
// sent: chunk (an ack id), size (the number of entries), compressed,
// fluent_signal (0: logs, as Fluent Bit sends), then add_option's entries.
class Encoder {
 public:
  explicit Encoder(const Settings& s);
  std::vector<Message> encode(const Batch& batch);

 private:
  // Starts the next message with this tag; `remaining` records are left in the batch.
  void open_message(const std::string& tag, uint32_t first, size_t remaining);
  // Ends the open message (count, compression, options) and appends it to out.
  void close_message(std::vector<Message>& out);
  std::string next_chunk_id();

  const Settings& s_;
  std::mt19937_64 random_;
  // The message being built: entries go straight into its bytes (or into
  // entries_, to be gzipped), after a header with room for a 32-bit count.
  Message open_;
  std::string current_tag_;
  bool is_open_ = false;
  size_t count_at_ = 0;     // where the entries' array32 count goes (Forward mode)
  size_t entries_at_ = 0;   // where the entries start
  std::string entries_;     // compress gzip: the entries before compression
  std::string gzip_;        // reused compression buffer
  std::string rendered_;    // reused tag template output
  size_t bytes_per_record_ = 256;  // of the last message: sizes the next one's buffer
};

}  // namespace sluice::forward_out
