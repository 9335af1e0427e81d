// The `datadog` codec and its settings; see datadog_codec.hpp. What Fluent
// Bit 5.1's out_datadog sends, and where sluice differs, is in
// docs/outputs/datadog.md.
#include "outputs/datadog/datadog_codec.hpp"

#include <array>

#include <simdjson.h>

#include "agent/ascii_case.hpp"
#include "agent/json_writer.hpp"

namespace sluice::datadog {

namespace {

constexpr std::string_view kTarget = "/api/v2/logs";

// The attributes Fluent Bit's provider ecs moves into ddtags (datadog_remap.c).
constexpr std::array<std::string_view, 6> kEcsAttributes = {
    "container_id", "container_name", "container_image", "ecs_cluster", "ecs_task_definition", "ecs_task_arn"};

void add_tag(std::string& tags, std::string_view name, std::string_view value) {
  if (!tags.empty()) tags += ',';
  tags += name;
  tags += ':';
  tags += value;
}

// One ECS attribute (a non-empty string) as Fluent Bit remaps it.
void remap_attribute(std::string& tags, std::string_view key, std::string_view v) {
  if (key == "container_name") {
    if (v.front() == '/') v.remove_prefix(1);
    add_tag(tags, "container_name", v);
  } else if (key == "ecs_cluster") {
    // "arn:aws:ecs:region:account:cluster/NAME" -> NAME; anything else as it is.
    size_t at = v.find("cluster/");
    add_tag(tags, "cluster_name", at == std::string_view::npos ? v : v.substr(at + 8));
  } else if (key == "ecs_task_definition") {
    size_t colon = v.find(':');  // "family:revision"
    if (colon == std::string_view::npos) {
      add_tag(tags, "ecs_task_definition", v);
    } else {
      add_tag(tags, "task_family", v.substr(0, colon));
      add_tag(tags, "task_version", v.substr(colon + 1));
    }
  } else if (key == "ecs_task_arn") {
    add_tag(tags, "task_arn", v);
    constexpr std::string_view kArn = "arn:aws:ecs:";
    if (v.size() > kArn.size() && v.starts_with(kArn)) {
      std::string_view rest = v.substr(kArn.size());
      if (size_t colon = rest.find(':'); colon != std::string_view::npos) add_tag(tags, "region", rest.substr(0, colon));
    }
    size_t task = v.find("task/");
    add_tag(tags, "task_id", task == std::string_view::npos ? v : v.substr(task + 5));
  } else {  // container_id, container_image: moved as they are
    add_tag(tags, key, v);
  }
}

}  // namespace

bool is_datadog_host(std::string_view host) {
  for (std::string_view domain : {"datadoghq.com", "datadoghq.eu", "ddog-gov.com"}) {
    if (host == domain) return true;
    if (host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.')
      return true;
  }
  return false;
}

Settings read_settings(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  Settings s;
  http::Endpoint where;
  where.host = cfg.get_string("host");
  if (where.host.empty()) cfg.fail("host", "expects a host name or address");
  // Fluent Bit's default is off (and port 80), which would send the API key
  // in clear to Datadog; another host (a local agent or pipeline) keeps it.
  where.tls = cfg.has("tls") ? cfg.get_bool("tls") : is_datadog_host(where.host);
  if (cfg.has("port")) {
    int64_t port = cfg.get_int("port");
    if (port < 1 || port > 65535) cfg.fail("port", "expects a port number from 1 to 65535");
    where.port = static_cast<uint16_t>(port);
  } else {
    where.port = where.tls ? 443 : 80;
  }
  s.http = http::read_http_output_settings(cfg, ctx.base_dir, where);
  std::string key = http::read_header_value(cfg, "apikey");
  if (key.empty()) cfg.fail("apikey", "expects the Datadog API key");
  // Fluent Bit's headers first; then the user's `header` entries.
  s.http.headers.insert(s.http.headers.begin(), {{"DD-API-KEY", std::move(key)},
                                                 {"DD-EVP-ORIGIN", "sluice"},
                                                 {"DD-EVP-ORIGIN-VERSION", SLUICE_VERSION}});

  s.json_date_key = cfg.get_string("json_date_key");
  if (s.json_date_key.empty())
    cfg.fail("json_date_key", "expects the key name of the time, or false/off for none");
  if (std::string v = ascii_lower(s.json_date_key); v == "false" || v == "off") s.json_date_key.clear();
  if (cfg.get_bool("include_tag_key")) {
    s.tag_key = cfg.get_string("tag_key");
    if (s.tag_key.empty()) cfg.fail("tag_key", "expects the key name of the tag (include_tag_key is on)");
  }
  s.dd_source = cfg.get_string("dd_source");
  s.dd_service = cfg.get_string("dd_service");
  s.dd_hostname = cfg.get_string("dd_hostname");
  s.dd_tags = cfg.get_string("dd_tags");
  s.message_key = cfg.get_string("dd_message_key");
  if (s.message_key.empty()) cfg.fail("dd_message_key", "expects the key name of the record's message");
  s.remap_ecs = cfg.get_string("provider") == "ecs";
  return s;
}

// Datadog's limits for /api/v2/logs: 5 MB per request before compression,
// 1,000 entries per array. An entry above 1 MB is accepted and truncated by
// Datadog (a 2xx), so it is sent: only one larger than a whole request is
// refused here.
Codec::Codec(Settings s) : JsonArrayCodec({5'000'000, 1'000, 5'000'000}), s_(std::move(s)) {}

int64_t Codec::timestamp_ms(int64_t time_ns) {
  int64_t sec = time_ns / 1'000'000'000;
  int64_t nsec = time_ns % 1'000'000'000;
  if (nsec < 0) {  // before 1970: seconds down, nanoseconds up, as a timespec holds them
    sec -= 1;
    nsec += 1'000'000'000;
  }
  return sec * 1000 + nsec / 1'000'000 + (nsec % 1'000'000 >= 500'000 ? 1 : 0);
}

bool Codec::remapped(const Member& m) const {
  if (!s_.remap_ecs || !m.value.is_string() || m.value.as_string().empty()) return false;
  for (std::string_view a : kEcsAttributes)
    if (m.key == a) return true;
  return false;
}

bool Codec::remap(const Value& record) {
  bool any = false;
  for (const Member& m : record.members()) {
    if (!remapped(m)) continue;
    remap_attribute(tags_, m.key, m.value.as_string());
    any = true;
  }
  return any;
}

std::string_view Codec::name_of(const Member& m) const {
  return m.key == s_.message_key ? std::string_view("message") : m.key.view();
}

bool Codec::record_writes(const Value& record, std::string_view name) const {
  for (const Member& m : record.members())
    if (!remapped(m) && name_of(m) == name) return true;
  return false;
}

bool Codec::append_item(const EventRef& e, std::string& out, std::string* /*why*/) {
  static const Value kEmpty = Value::map(nullptr, 0);
  const Value& record = e.event->record.is_map() ? e.event->record : kEmpty;
  tags_.clear();
  bool remapped_any = s_.remap_ecs && remap(record);
  if (!s_.dd_tags.empty()) {
    if (remapped_any) tags_ += ',';
    tags_ += s_.dd_tags;
  }
  const bool with_tags = !tags_.empty();

  // Fluent Bit packs, in this order: the time, the tag, ddsource, service,
  // hostname, the record, ddtags; a key the record has too is packed twice,
  // and its JSON writer (msgpack2json) keeps only the last one, where it
  // stands. The same here.
  struct Added {
    std::string_view name;
    std::string_view text;  // unused for the time
  };
  const std::array<Added, 5> added = {{{s_.json_date_key, {}},
                                       {s_.tag_key, *e.tag},
                                       {s_.dd_source.empty() ? "" : "ddsource", s_.dd_source},
                                       {s_.dd_service.empty() ? "" : "service", s_.dd_service},
                                       {s_.dd_hostname.empty() ? "" : "hostname", s_.dd_hostname}}};
  out += '{';
  bool first = true;
  auto key = [&](std::string_view k) {
    if (!first) out += ',';
    first = false;
    json::append_string(out, k);
    out += ':';
  };
  for (size_t i = 0; i < added.size(); ++i) {
    std::string_view name = added[i].name;
    if (name.empty()) continue;
    bool later = (with_tags && name == "ddtags") || record_writes(record, name);
    for (size_t j = i + 1; j < added.size() && !later; ++j) later = added[j].name == name;
    if (later) continue;
    key(name);
    if (i == 0) out += std::to_string(timestamp_ms(e.event->time_ns));
    else json::append_string(out, added[i].text);
  }
  // The record's message key and a `message` of its own both end up as
  // "message": the later one is kept.
  const Member* last_message = nullptr;
  for (const Member& m : record.members())
    if (!remapped(m) && name_of(m) == "message") last_message = &m;
  for (const Member& m : record.members()) {
    if (remapped(m)) continue;
    std::string_view name = name_of(m);
    if (with_tags && name == "ddtags") continue;
    if (name == "message" && &m != last_message) continue;
    key(name);
    json::append_value(out, m.value);
  }
  if (with_tags) {
    key("ddtags");
    json::append_string(out, tags_);
  }
  out += '}';
  return true;
}

http::PlannedRequest Codec::make_request() { return post(std::string(kTarget), s_.http, "application/json"); }

std::string read_errors(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::array errors;
  if (parser.parse(body).get_object()["errors"].get(errors)) return "";
  std::string text;
  for (simdjson::dom::element e : errors) {
    std::string_view s;
    if (e.get(s)) continue;
    if (!text.empty()) text += "; ";
    text += s;
  }
  return text;
}

http::Answer Codec::read_refusal(http::PlannedRequest& /*sent*/, http::Response& response) {
  // 401 and 403 are a missing or wrong key: static, so asking again won't
  // help; 400 is a body Datadog can't read. 408, 429 and 5xx are retried.
  std::string errors = read_errors(response.body);
  std::string reason = errors.empty() ? "Datadog answered " + http::describe_answer(response)
                                      : "Datadog answered " + std::to_string(response.status) + ": " + errors;
  return sort_refusal(response, std::move(reason), false);
}

}  // namespace sluice::datadog
