// Every input sluice knows, by name. A new input adds one line here.
#include "inputs/registry.hpp"

#include "inputs/dummy/dummy_input.hpp"
#include "inputs/stdin/stdin_input.hpp"
#include "inputs/tail/tail_input.hpp"
#include "inputs/syslog/syslog_input.hpp"
#include "inputs/systemd/systemd_input.hpp"
#include "inputs/http/http_input.hpp"
#include "inputs/forward/forward_input.hpp"
#include "inputs/tcp_udp/tcp_udp_input.hpp"
#include "inputs/opentelemetry/opentelemetry_input.hpp"

namespace sluice {

const std::vector<InputPlugin>& input_plugins() {
  static const std::vector<InputPlugin> plugins = {
      {"tail", tail_input_schema, make_tail_input},
      {"stdin", stdin_input_schema, make_stdin_input},
      {"dummy", dummy_input_schema, make_dummy_input},
      {"syslog", syslog_input_schema, make_syslog_input},
      {"http", http_input_schema, make_http_input},
      {"forward", forward_input_schema, make_forward_input},
      {"tcp", tcp_input_schema, make_tcp_input},
      {"udp", udp_input_schema, make_udp_input},
      {"systemd", systemd_input_schema, make_systemd_input},
      {"opentelemetry", opentelemetry_input_schema, make_opentelemetry_input},
  };
  return plugins;
}

}  // namespace sluice
