// The service's side of the filesystem buffer (docs/storage.md): checking
// the storage keys of a configuration, opening each filesystem input's
// buffer (recovering what a previous run left) before the input first
// starts, and naming buffer directories no input owns any more. Main thread.
#include <filesystem>
#include <set>

#include "agent/log.hpp"
#include "agent/service_impl.hpp"

namespace sluice {

void Service::Impl::plan_storage(Plan& p, const config::PipelineConfig& next) {
  const config::PipelineConfig* running = configs.empty() ? nullptr : configs.back().get();
  p.storage = storage::service_storage(next.service);
  // A running input keeps its buffer: the storage keys it was started with apply.
  const storage::ServiceStorage& effective = running ? storage_settings : p.storage;
  for (size_t i = 0; i < next.inputs.size(); ++i) {
    const auto& ic = next.inputs[i];
    p.inputs[i].filesystem = storage::input_uses_filesystem(ic, effective);
    if (running == nullptr) continue;
    for (size_t j = 0; j < running->inputs.size(); ++j)
      if (instance_name(running->inputs[j], j) == p.inputs[i].name) storage::check_reload(running->inputs[j], ic);
  }
  for (size_t i = 0; i < next.outputs.size(); ++i)
    if (auto l = storage::output_limit(next.outputs[i], p.outputs[i].name)) p.storage_limits.push_back(std::move(*l));
}

void Service::Impl::open_buffer(InputSlot& slot) {
  if (!slot.filesystem || slot.buffer) return;
  storage::StoreOptions opts = storage::store_options(storage_settings, slot.instance());
  storage::RecoveryReport report;
  std::unique_ptr<storage::SegmentStore> store;
  try {
    store = storage::SegmentStore::open(opts, &report);
  } catch (const std::exception& e) {
    throw config::ConfigError("input " + slot.instance() + ": storage.type filesystem: " + e.what());
  }
  storage::InputBuffer::Feed feed{
      [this, &slot](ChunkPtr c) {
        c->routes = slot.parts.routes;  // not stored with the chunk
        pipeline->submit(std::move(c));
      },
      [this] { return !pipeline->full_reason().empty(); },
  };
  slot.buffer = std::make_unique<storage::InputBuffer>(std::move(store), report, io, metrics, *storage_limits,
                                                       std::move(feed));
  slot.buffer->start();
}

// Replaying a directory under its stored tags would need an input to own it;
// instead sluice says where it is and how to get it delivered.
void Service::Impl::warn_orphan_buffers() const {
  if (storage_settings.path.empty()) return;
  std::set<std::string> owned = {"quarantine"};
  for (const auto& in : inputs)
    if (in->filesystem) owned.insert(std::filesystem::path(storage::store_options(storage_settings, in->instance()).dir)
                                         .filename()
                                         .string());
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(storage_settings.path, ec)) {
    if (!e.is_directory(ec) || owned.count(e.path().filename().string()) > 0) continue;
    size_t segments = 0;
    for (const auto& f : std::filesystem::directory_iterator(e.path(), ec))
      if (f.path().extension() == ".seg") ++segments;
    if (segments == 0) continue;
    log::warn("storage: {} holds {} segment files of an input named '{}' that this configuration doesn't have; "
              "they are kept, not delivered: add an input with alias '{}' and storage.type filesystem to deliver "
              "them, or remove the directory",
              e.path().string(), segments, e.path().filename().string(), e.path().filename().string());
  }
}

}  // namespace sluice
