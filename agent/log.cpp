// Setup of sluice's stderr logger; see log.hpp.
#include "agent/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace sluice::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("sluice");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void set_level(std::string_view level) { spdlog::default_logger()->set_level(spdlog::level::from_str(std::string(level))); }

}  // namespace sluice::log
