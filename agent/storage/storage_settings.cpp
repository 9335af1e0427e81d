// The filesystem buffer's keys; see storage_settings.hpp.
#include "agent/storage/storage_settings.hpp"

#include "agent/log.hpp"

namespace sluice::storage {

ServiceStorage service_storage(const config::ComponentConfig& svc) {
  ServiceStorage s;
  s.path = svc.get_string("storage.path");  // as the dead-letter default reads it: relative to the working directory
  s.sync = svc.get_string("storage.sync") == "full" ? Sync::Full : Sync::Normal;
  if (svc.has("storage.backlog.mem_limit"))
    log::warn("{}: storage.backlog.mem_limit is accepted and not used: the backlog on disk is loaded while the "
              "pipeline has room, so service.mem_limit and each output's mem_buf_limit bound its memory",
              svc.mark_of("storage.backlog.mem_limit").str());
  if (svc.has("storage.checksum") && !svc.get_bool("storage.checksum"))
    log::warn("{}: storage.checksum off: sluice always checks a CRC32C per frame (it costs little)",
              svc.mark_of("storage.checksum").str());
  if (svc.has("storage.max_chunks_up"))
    log::warn("{}: storage.max_chunks_up is accepted and not used: sluice bounds the memory of a filesystem input "
              "with service.mem_limit and mem_buf_limit",
              svc.mark_of("storage.max_chunks_up").str());
  if (svc.has("storage.metrics") && !svc.get_bool("storage.metrics"))
    log::warn("{}: storage.metrics off: sluice always exports its sluice_storage_* metrics",
              svc.mark_of("storage.metrics").str());
  return s;
}

bool input_uses_filesystem(const config::ComponentConfig& input, const ServiceStorage& svc) {
  std::string type = input.get_string("storage.type");
  if (type == "memrb") {
    log::warn("{}: storage.type memrb is taken as memory (sluice has no ring buffer mode; memory inputs pause "
              "instead of dropping)", input.mark_of("storage.type").str());
    return false;
  }
  if (type != "filesystem") return false;
  if (svc.path.empty())
    input.fail("storage.type",
               "storage.type filesystem needs a directory: set service.storage.path (for example /var/lib/sluice)");
  if (input.has("storage.pause_on_chunks_overlimit"))
    log::warn("{}: storage.pause_on_chunks_overlimit is accepted and not used: a filesystem input pauses only "
              "when its disk is full or an output's storage.total_limit_size is reached with buffer.when_full block",
              input.mark_of("storage.pause_on_chunks_overlimit").str());
  return true;
}

std::optional<OutputLimit> output_limit(const config::ComponentConfig& output, const std::string& instance) {
  if (!output.has("storage.total_limit_size")) return std::nullopt;
  OutputLimit l;
  l.output = instance;
  l.bytes = output.get_size("storage.total_limit_size");
  if (l.bytes == 0) output.fail("storage.total_limit_size", "must be larger than 0 (leave it unset for no limit)");
  std::string when_full = output.get_string("buffer.when_full");
  l.policy = when_full == "drop_newest"   ? OutputLimit::Policy::DropNewest
             : when_full == "drop_oldest" ? OutputLimit::Policy::DropOldest
                                          : OutputLimit::Policy::Block;
  l.match = TagMatcher::from_config(output);
  return l;
}

void check_reload(const config::ComponentConfig& running_input, const config::ComponentConfig& next_input) {
  auto type = [](const config::ComponentConfig& c) {
    std::string t = c.get_string("storage.type");
    return t == "memrb" ? std::string("memory") : t;
  };
  if (type(running_input) != type(next_input))
    next_input.fail("storage.type", "storage.type of a running input can't change with a hot reload (from " +
                                        type(running_input) + " to " + type(next_input) +
                                        "): restart sluice, or give the input a new alias");
}

StoreOptions store_options(const ServiceStorage& svc, const std::string& instance) {
  // An alias is free text: keep it one plain directory name.
  std::string dir = instance;
  for (char& c : dir)
    if (c == '/' || c == '\\' || c == '\0') c = '_';
  if (dir.empty() || dir[0] == '.' || dir == "quarantine") dir = "_" + dir;
  StoreOptions o;
  o.dir = svc.path + "/" + dir;
  o.quarantine_dir = svc.path + "/quarantine/" + dir;
  o.instance = instance;
  o.sync = svc.sync;
  return o;
}

}  // namespace sluice::storage
