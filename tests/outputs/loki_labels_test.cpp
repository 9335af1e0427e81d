// Loki labels: label-name sanitizing, Go quoting of values, the rule syntax
// of `labels` (fixed, record accessor, named accessor), and the selector text
// of a record, including the default label.
#include "outputs/loki/loki_labels.hpp"
#include "tests/outputs/loki_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::loki;

namespace {

std::string go_quoted(std::string_view s) {
  std::string out;
  append_go_quoted(out, s);
  return out;
}

KvRule rule(std::string_view text) {
  std::string error;
  auto r = parse_kv_rule(text, &error);
  INFO(error);
  REQUIRE(r);
  return *r;
}

std::string rule_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_kv_rule(text, &error));
  return error;
}

std::string selector(const LabelRules& rules, const Value& record) {
  std::string out, scratch;
  rules.append_selector(out, record, scratch);
  return out;
}

}  // namespace

TEST_CASE("loki labels: names are sanitized to [a-zA-Z_][a-zA-Z0-9_]*", "[loki]") {
  CHECK(sanitize_label_name("job") == "job");
  CHECK(sanitize_label_name("Service_Name2") == "Service_Name2");
  CHECK(sanitize_label_name("app.kubernetes.io/name") == "app_kubernetes_io_name");
  CHECK(sanitize_label_name("a-b c") == "a_b_c");
  CHECK(sanitize_label_name("9lives") == "_9lives");
  CHECK(sanitize_label_name("caf\xC3\xA9") == "caf__");
}

TEST_CASE("loki labels: values are Go-quoted", "[loki]") {
  CHECK(go_quoted("web") == R"("web")");
  CHECK(go_quoted(R"(say "hi")") == R"("say \"hi\"")");
  CHECK(go_quoted(R"(C:\logs)") == R"("C:\\logs")");
  CHECK(go_quoted("two\nlines\r\tend") == R"("two\nlines\r\tend")");
  CHECK(go_quoted(std::string("nul\0bell\x07" "del\x7F", 13)) == R"("nul\x00bell\x07del\x7f")");
  CHECK(go_quoted("caf\xC3\xA9 \xE2\x82\xAC") == "\"caf\xC3\xA9 \xE2\x82\xAC\"");
  CHECK(go_quoted("bad\xFF\xC3") == "\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(go_quoted("") == R"("")");
}

TEST_CASE("loki labels: rule syntax", "[loki]") {
  auto fixed = rule(" env = prod ");
  CHECK(fixed.name == "env");
  CHECK(fixed.fixed == "prod");
  CHECK_FALSE(fixed.accessor);

  auto named = rule("app=$kubernetes['labels']['app']");
  CHECK(named.name == "app");
  REQUIRE(named.accessor);
  CHECK(named.accessor->steps().size() == 3);

  CHECK(rule("$level").name == "level");
  CHECK(rule("$sub['stream']").name == "sub_stream");  // Fluent Bit's naming of nested keys
  CHECK(rule("$items[0]['k.8s']").name == "items_0_k_8s");
  CHECK(rule("app.name=web").name == "app_name");
  CHECK(rule("url=http://x/?a=b").fixed == "http://x/?a=b");  // only the first '=' splits

  CHECK(rule_error("justtext") == "'justtext' is neither name=value nor a $record_accessor");
  CHECK(rule_error("=x") == "'=x' needs a name and a value (name=value)");
  CHECK(rule_error("k=") == "'k=' needs a name and a value (name=value)");
  CHECK(rule_error("$9x") == "record accessor '$9x' starts with a digit");
  CHECK(rule_error("k=$a['b'").find("invalid record accessor") != std::string::npos);
}

TEST_CASE("loki labels: the selector of a record", "[loki]") {
  auto chunk = loki_test::chunk_of({{1, R"({"level":"warn","code":503,"ok":true,"kubernetes":{"labels":{"app":"web"}},)"
                                    R"("msg":"a \"quoted\"\nline","map":{"a":1},"empty":""})"}});
  const Value& record = chunk->events[0].record;

  SECTION("sorted by name, record values by accessor, numbers and bools as text") {
    LabelRules rules({rule("job=sluice"), rule("$level"), rule("app=$kubernetes['labels']['app']"), rule("$code"),
                      rule("$ok")},
                     {"job", "sluice"});
    CHECK_FALSE(rules.is_fixed());
    CHECK(selector(rules, record) == R"({app="web", code="503", job="sluice", level="warn", ok="true"})");
    auto pairs = rules.pairs(record);
    REQUIRE(pairs.size() == 5);
    CHECK(pairs[0] == std::pair<std::string, std::string>{"app", "web"});
    CHECK(pairs[4] == std::pair<std::string, std::string>{"ok", "true"});
  }
  SECTION("values with quotes and newlines are escaped") {
    LabelRules rules({rule("$msg")}, {"job", "sluice"});
    CHECK(selector(rules, record) == R"({msg="a \"quoted\"\nline"})");
  }
  SECTION("missing, empty, null and map values leave the label out; none left gives the default") {
    LabelRules rules({rule("$nope"), rule("$empty"), rule("$map")}, {"job", "sluice"});
    CHECK(selector(rules, record) == R"({job="sluice"})");
    CHECK(rules.pairs(record) == std::vector<std::pair<std::string, std::string>>{{"job", "sluice"}});
    LabelRules some({rule("$nope"), rule("env=prod")}, {"job", "sluice"});
    CHECK(selector(some, record) == R"({env="prod"})");
  }
  SECTION("the grouping key is equal exactly when the selector is") {
    LabelRules rules({rule("$a"), rule("$b"), rule("job=x")}, {"job", "sluice"});
    auto recs = loki_test::chunk_of({{1, R"({"a":"5","b":"x"})"}, {1, R"({"a":5,"b":"x"})"}, {1, R"({"a":"5x"})"},
                                     {1, R"({"a":"5","b":""})"}, {1, R"({"a":"5"})"}});
    auto key = [&](size_t i) {
      std::string k;
      rules.append_key(k, recs->events[i].record);
      return k;
    };
    CHECK(key(0) == key(1));  // "5" and 5 are both the label value "5"
    CHECK(key(0) != key(2));
    CHECK(key(3) == key(4));  // an empty value and no value both leave the label out
    CHECK(key(2) != key(4));
    CHECK(selector(rules, recs->events[3].record) == selector(rules, recs->events[4].record));
  }
  SECTION("fixed rules only") {
    LabelRules rules({rule("job=a"), rule("env=prod")}, {"job", "sluice"});
    CHECK(rules.is_fixed());
    CHECK(selector(rules, record) == R"({env="prod", job="a"})");
  }
}

}  // namespace SLUICE_UNITY_ID
