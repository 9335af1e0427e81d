// Every filter sluice knows, by name. A new filter adds one line here.
#include "filters/registry.hpp"

#include "filters/content_modifier/content_modifier_filter.hpp"
#include "filters/grep/grep_filter.hpp"
#include "filters/kubernetes/kubernetes_filter.hpp"
#include "filters/lua/lua_filter.hpp"
#include "filters/modify/modify_filter.hpp"
#include "filters/multiline/multiline_filter.hpp"
#include "filters/nest/nest_filter.hpp"
#include "filters/parser/parser_filter.hpp"
#include "filters/record_modifier/record_modifier_filter.hpp"
#include "filters/rewrite_tag/rewrite_tag_filter.hpp"
#include "filters/throttle/throttle_filter.hpp"

namespace sluice {

const std::vector<FilterPlugin>& filter_plugins() {
  static const std::vector<FilterPlugin> plugins = {
      {"parser", parser_filter_schema, make_parser_filter},
      {"grep", grep_filter_schema, make_grep_filter},
      {"modify", modify_filter_schema, make_modify_filter},
      {"lua", lua_filter_schema, make_lua_filter},
      {"multiline", multiline_filter_schema, make_multiline_filter},
      {"record_modifier", record_modifier_filter_schema, make_record_modifier_filter},
      {"nest", nest_filter_schema, make_nest_filter},
      {"throttle", throttle_filter_schema, make_throttle_filter},
      {"rewrite_tag", rewrite_tag_filter_schema, make_rewrite_tag_filter},
      {"kubernetes", kubernetes_filter_schema, make_kubernetes_filter},
      {"content_modifier", content_modifier_filter_schema, make_content_modifier_filter},
  };
  return plugins;
}

}  // namespace sluice
