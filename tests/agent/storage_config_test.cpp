// The filesystem buffer's keys: storage.type filesystem needs a
// storage.path (refused at its line otherwise), memrb is memory, an output's
// storage.total_limit_size of 0 is refused, a reload can't change an input's
// storage.type, and the Fluent Bit keys sluice doesn't act on load.
#include <catch2/catch.hpp>

#include "agent/config/yaml_loader.hpp"
#include "agent/storage/storage_settings.hpp"

namespace sluice::SLUICE_UNITY_ID {
namespace {

using config::ConfigError;
using config::load_string;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

config::PipelineConfig pipeline(const std::string& service, const std::string& input_keys,
                                const std::string& output_keys = "") {
  return load_string("service:\n" + service + "pipeline:\n  inputs:\n    - name: dummy\n" + input_keys +
                         "  outputs:\n    - name: null\n" + output_keys,
                     "p.yaml");
}

TEST_CASE("storage keys: filesystem needs service.storage.path, refused at the key's line", "[storage]") {
  auto cfg = pipeline("  log_level: info\n", "      storage.type: filesystem\n");
  auto svc = storage::service_storage(cfg.service);
  std::string e = error_of([&] { storage::input_uses_filesystem(cfg.inputs[0], svc); });
  CHECK(e.find("p.yaml:6:") == 0);
  CHECK(e.find("service.storage.path") != std::string::npos);

  auto ok = pipeline("  storage.path: /var/lib/sluice\n  storage.sync: full\n", "      storage.type: filesystem\n");
  auto s = storage::service_storage(ok.service);
  CHECK(storage::input_uses_filesystem(ok.inputs[0], s));
  CHECK(s.sync == storage::Sync::Full);
  auto opts = storage::store_options(s, "http.0");
  CHECK(opts.dir == "/var/lib/sluice/http.0");
  CHECK(opts.quarantine_dir == "/var/lib/sluice/quarantine/http.0");
  CHECK(storage::store_options(s, "../x/y").dir == "/var/lib/sluice/_.._x_y");
}

TEST_CASE("storage keys: memory by default, memrb is memory, unknown types refused", "[storage]") {
  auto svc = storage::service_storage(pipeline("  log_level: info\n", "").service);
  CHECK_FALSE(storage::input_uses_filesystem(pipeline("  log_level: info\n", "").inputs[0], svc));
  CHECK_FALSE(storage::input_uses_filesystem(pipeline("  log_level: info\n", "      storage.type: memrb\n").inputs[0], svc));
  std::string e = error_of([] { pipeline("  log_level: info\n", "      storage.type: disk\n"); });
  CHECK(e.find("storage.type") != std::string::npos);
}

TEST_CASE("storage keys: Fluent Bit's service keys load, sync takes normal or full", "[storage]") {
  CHECK_NOTHROW(pipeline("  storage.path: /tmp/x\n  storage.checksum: off\n  storage.max_chunks_up: 64\n"
                         "  storage.backlog.mem_limit: 10M\n  storage.metrics: on\n",
                         "      storage.pause_on_chunks_overlimit: on\n"));
  CHECK(error_of([] { pipeline("  storage.sync: always\n", ""); }).find("storage.sync") != std::string::npos);
}

TEST_CASE("storage keys: an output's storage.total_limit_size and its policy", "[storage]") {
  auto none = pipeline("  log_level: info\n", "");
  CHECK_FALSE(storage::output_limit(none.outputs[0], "null.0"));
  auto drop = pipeline("  log_level: info\n", "", "      storage.total_limit_size: 1G\n      buffer.when_full: drop_oldest\n");
  auto l = storage::output_limit(drop.outputs[0], "null.0");
  REQUIRE(l);
  CHECK(l->bytes == 1024ull * 1024 * 1024);
  CHECK(l->policy == storage::OutputLimit::Policy::DropOldest);
  auto zero = pipeline("  log_level: info\n", "", "      storage.total_limit_size: 0\n");
  std::string e = error_of([&] { storage::output_limit(zero.outputs[0], "null.0"); });
  CHECK(e.find("p.yaml:") == 0);
  CHECK(e.find("storage.total_limit_size") != std::string::npos);
}

TEST_CASE("storage keys: a reload can't change a running input's storage.type", "[storage]") {
  auto mem = pipeline("  storage.path: /tmp/x\n", "");
  auto fs = pipeline("  storage.path: /tmp/x\n", "      storage.type: filesystem\n");
  auto memrb = pipeline("  storage.path: /tmp/x\n", "      storage.type: memrb\n");
  CHECK_NOTHROW(storage::check_reload(fs.inputs[0], fs.inputs[0]));
  CHECK_NOTHROW(storage::check_reload(mem.inputs[0], memrb.inputs[0]));
  std::string e = error_of([&] { storage::check_reload(mem.inputs[0], fs.inputs[0]); });
  CHECK(e.find("hot reload") != std::string::npos);
  CHECK(e.find("from memory to filesystem") != std::string::npos);
}

}  // namespace
}  // namespace sluice::SLUICE_UNITY_ID
