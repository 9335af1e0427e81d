// Loading librdkafka on first use; see rdkafka_api.hpp.
#include "outputs/kafka/rdkafka_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

namespace sluice::kafka {

namespace {

// The soname of Debian 12's librdkafka1 (and of every librdkafka 1.x/2.x).
constexpr const char* kLibrary = "librdkafka.so.1";

RdkafkaApi load() {
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    throw std::runtime_error(std::string("the kafka output needs librdkafka (Debian's package librdkafka1): ") +
                             (why != nullptr ? why : kLibrary));
  }
  RdkafkaApi api;
#define SLUICE_RDKAFKA_RESOLVE(name)                                                                    \
  api.rd_kafka_##name = reinterpret_cast<decltype(api.rd_kafka_##name)>(::dlsym(lib, "rd_kafka_" #name)); \
  if (api.rd_kafka_##name == nullptr)                                                                              \
    throw std::runtime_error(std::string(kLibrary) + " has no rd_kafka_" #name " (librdkafka 1.4 or later is needed)");
  SLUICE_RDKAFKA_FUNCTIONS(SLUICE_RDKAFKA_RESOLVE)
#undef SLUICE_RDKAFKA_RESOLVE
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const RdkafkaApi& rdkafka() {
  static std::once_flag once;
  static RdkafkaApi api;
  static std::string error;
  std::call_once(once, [] {
    try {
      api = load();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (!error.empty()) throw std::runtime_error(error);
  return api;
}

}  // namespace sluice::kafka
