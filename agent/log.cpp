// sluice's logger (stderr, or a file) on spdlog's default logger (which tests swap to
// capture the log); see log.hpp.
#include "agent/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <exception>
#include <iterator>

namespace sluice::log {

namespace {

// The service's level as level_number(); -1 before init(): then the spdlog
// logger's own level decides (unit tests install capturing loggers).
std::atomic<int> g_service_level{-1};
// The current component's level (Scope); -1: none.
thread_local int t_component_level = -1;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::err;
}
}  // namespace

std::string init(std::string_view level, const std::string& file) {
  std::shared_ptr<spdlog::logger> logger;
  if (file.empty()) {
    logger = spdlog::stderr_logger_mt("sluice");
  } else {
    try {
      logger = spdlog::basic_logger_mt("sluice", file);  // appends
    } catch (const spdlog::spdlog_ex& e) {
      return e.what();
    }
  }
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  // sluice filters by level itself (enabled()): a component may log below the service's level.
  logger->set_level(spdlog::level::trace);
  g_service_level.store(level_number(level), std::memory_order_relaxed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

void set_level(std::string_view level) { g_service_level.store(level_number(level), std::memory_order_relaxed); }

int level_number(std::string_view level) {
  static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  for (int i = 0; i < 6; ++i)
    if (level == kNames[i]) return i;
  if (level == "warning") return 3;
  return -1;
}

bool enabled(Level level) {
  int threshold = t_component_level;
  if (threshold < 0) threshold = g_service_level.load(std::memory_order_relaxed);
  if (threshold < 0) return spdlog::default_logger_raw()->should_log(to_spdlog(level));
  return static_cast<int>(level) >= threshold;
}

Scope::Scope(int level) : previous_(t_component_level) { t_component_level = level; }
Scope::~Scope() { t_component_level = previous_; }

void write(Level level, fmt::string_view format, fmt::format_args args) {
  fmt::memory_buffer line;
  try {
    fmt::vformat_to(std::back_inserter(line), format, args);
  } catch (const std::exception& e) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "[log line '{}' could not be formatted: {}]",
                   std::string_view(format.data(), format.size()), e.what());
  }
  spdlog::default_logger_raw()->log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace sluice::log
