// The `forward` output's keys and their validation; see forward_settings.hpp.
#include "outputs/forward/forward_settings.hpp"

#include <algorithm>

#include "agent/config/compat_keys.hpp"
#include "agent/config/config_path.hpp"
#include "agent/host_name.hpp"
#include "outputs/common/http_output_config.hpp"

namespace sluice::forward_out {

namespace {

using config::KeyType;

std::optional<RecordTemplate> read_tag(const config::ComponentConfig& cfg, bool& is_static) {
  std::string text = cfg.get_string("tag");
  if (!cfg.has("tag")) return std::nullopt;
  if (text.empty()) cfg.fail("tag", "expected the tag to send the records with (or remove the key)");
  RecordTemplate t = compile_template_key(cfg, "tag", text);
  // Text without a `$` renders the same for every record.
  is_static = text.find('$') == std::string::npos;
  return t;
}

std::vector<std::pair<std::string, std::string>> read_extra_options(const config::ComponentConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& entry : cfg.get_list("add_option")) {
    std::optional<config::NameValue> option = config::split_name_value(entry);
    if (!option)
      cfg.fail("add_option", "expects \"name value\" (an option name, a space, its value), got \"" + entry + "\"");
    for (const char* own : {"chunk", "size", "compressed", "fluent_signal"})
      if (option->name == own)
        cfg.fail("add_option", "'" + option->name + "' is an option the forward output sets itself; choose another name");
    out.emplace_back(std::move(option->name), std::move(option->value));
  }
  return out;
}

}  // namespace

const config::PluginSchema& schema() {
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "forward",
        "Sends records to Fluentd or Fluent Bit (its forward input) over the Forward protocol: TCP or TLS, "
        "EventTime, gzip, acknowledgements and the shared-key handshake.",
        {
            {"tag", KeyType::String, "",
             "Send the records with this tag instead of their own: text, or a template ($key, "
             "$key['sub'], $TAG, $TAG[n]) rendered for each record. A record the template can't be "
             "rendered for (a missing key) keeps its own tag."},
            {"time_as_integer", KeyType::Bool, "off",
             "Send times as integer seconds (Fluentd v0.12 and older) instead of EventTime (nanoseconds)."},
            {"send_options", KeyType::Bool, "off",
             "Send the option map (size, fluent_signal and add_option) with every message. require_ack_response, "
             "compress and add_option turn it on."},
            {"require_ack_response", KeyType::Bool, "off",
             "Ask the server to acknowledge each message (a chunk id in its options) and count a message "
             "delivered only when its ack arrives within request_timeout; otherwise it is sent again. "
             "Without it, a message written to the connection counts as delivered."},
            {"compress", KeyType::String, "text",
             "gzip: send the entries gzip-compressed (CompressedPackedForward); text: as they are.", false, false,
             {"text", "gzip"}},
            {"add_option", KeyType::Multi, "",
             "An extra entry \"name value\" of the option map (a string); repeat the key for more."},
            {"shared_key", KeyType::String, "",
             "Authenticate with the server's shared key (the Forward protocol's HELO/PING/PONG handshake) "
             "before sending.",
             false, true},
            {"empty_shared_key", KeyType::Bool, "off", "Run the handshake with an empty shared key."},
            {"self_hostname", KeyType::String, "",
             "The host name sent in the handshake (default: this machine's host name)."},
            {"username", KeyType::String, "", "User name for the handshake, when the server asks for one."},
            {"password", KeyType::String, "", "Password for the handshake.", false, true},
            config::compat_note("retain_metadata_in_forward_mode", KeyType::Bool,
                                "sluice's records carry no Fluent Bit metadata; every entry is sent as [time, "
                                "record], which both Fluentd and Fluent Bit read."),
            config::compat_note("fluentd_compat", KeyType::Bool,
                                "it concerns metrics and traces, which sluice doesn't carry; logs are sent in "
                                "Fluentd's format either way."),
            {"unix_path", KeyType::String, "",
             "Send to the server's unix socket at this path instead of host and port (a sidecar's Fluentd or "
             "Fluent Bit sharing a volume). Relative to the config file's directory. Not with tls."},
            {"upstream", KeyType::String, "",
             "Not supported: one server per output; for several, declare an output for each."},
        }};
    for (auto& k : http::http_output_keys("24224", {"http_user", "http_passwd", "compress", "header", "proxy"})) {
      if (k.name == "host") k.description = "Host name or IP address of the Fluentd or Fluent Bit server.";
      if (k.name == "port") k.description = "Its forward input's TCP port.";
      if (k.name == "tls") k.description = "Use TLS.";
      if (k.name == "connect_timeout")
        k.description = "Longest wait to connect (the TLS handshake included), and again for the shared-key handshake.";
      if (k.name == "request_timeout")
        k.description = "Longest wait to write a batch and, with require_ack_response, for its acks.";
      schema.keys.push_back(std::move(k));
    }
    return schema;
  }();
  return s;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  if (cfg.has("upstream"))
    cfg.fail("upstream", "is not supported: declare one forward output per server (each with its own buffer)");
  Settings s;
  s.server = http::read_http_output_settings(cfg, ctx.base_dir).client;
  s.unix_path = cfg.get_string("unix_path");
  if (cfg.has("unix_path") && s.unix_path.empty()) cfg.fail("unix_path", "expected a socket's path");
  s.unix_path = config::path_from_config_dir(ctx.base_dir, s.unix_path);
  if (!s.unix_path.empty() && s.server.tls.enabled)
    cfg.fail("tls", "is for TCP; this output sends to the unix socket unix_path");
  s.tag = read_tag(cfg, s.tag_is_static);
  s.time_as_integer = cfg.get_bool("time_as_integer");
  s.require_ack = cfg.get_bool("require_ack_response");
  s.gzip = cfg.get_string("compress") == "gzip";
  if (s.gzip && s.time_as_integer)
    cfg.fail("compress", "gzip needs EventTime entries (Fluentd v1); it can't be used with time_as_integer");
  s.extra_options = read_extra_options(cfg);
  s.send_options = cfg.get_bool("send_options") || s.require_ack || s.gzip || !s.extra_options.empty();
  s.shared_key = cfg.get_string("shared_key");
  s.secure = !s.shared_key.empty() || cfg.get_bool("empty_shared_key");
  s.self_hostname = cfg.has("self_hostname") ? cfg.get_string("self_hostname") : host_name();
  s.username = cfg.get_string("username");
  s.password = cfg.get_string("password");
  if (!s.secure) {
    for (const char* key : {"self_hostname", "username", "password"})
      if (cfg.has(key)) cfg.fail(key, "is used only in the shared-key handshake: set shared_key (or empty_shared_key)");
  }
  if (!s.username.empty() && s.password.empty()) cfg.fail("username", "needs password as well");
  if (s.username.empty() && !s.password.empty()) cfg.fail("password", "needs username as well");
  return s;
}

}  // namespace sluice::forward_out
