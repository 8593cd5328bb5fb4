// Numeric options that refuse what they cannot mean. CLI11's own checks
// convert first and judge after: an unsigned option takes -1 as 2^64-1,
// and a Range lets NaN through. These parse the text themselves, and an
// option outside its range is a usage error (exit 2) that names the range.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace cow::cli {

// A whole number from `least` to `most`, written in decimal.
template <typename T>
CLI::Validator integer_in(T least, T most) {
  return CLI::Validator(
      [least, most](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        auto [stop, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc{} || stop != end || value < least || value > most)
          return fmt::format("'{}' is not a whole number from {} to {}", text, least, most);
        return "";
      },
      fmt::format("INT in {}..{}", least, most));
}

// Seconds: a finite number above 0 and at most `most`.
inline CLI::Validator seconds_up_to(double most) {
  return CLI::Validator(
      [most](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        auto [stop, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc{} || stop != end || !std::isfinite(value) || value <= 0 ||
            value > most)
          return fmt::format("'{}' is not a number of seconds above 0 and at most {}", text, most);
        return "";
      },
      fmt::format("SECONDS in (0, {}]", most));
}

}  // namespace cow::cli
