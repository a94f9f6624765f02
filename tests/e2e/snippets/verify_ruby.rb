# Verifying Axon Webhooks deliveries with Ruby's standard library (openssl).
# In Rails: AxonWebhook.valid?(request.headers["X-Axon-Signature"], request.raw_post, secret)
require "openssl"

module AxonWebhook
  TOLERANCE_SECONDS = 5 * 60

  # X-Axon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
  def self.valid?(header, raw_body, secret, now: Time.now.to_i)
    items = header.to_s.split(",").map { |item| item.strip.split("=", 2) }
    t = items.find { |key, _| key == "t" }&.last.to_s
    return false unless t.match?(/\A\d+\z/) && (now - t.to_i).abs <= TOLERANCE_SECONDS
    expected = OpenSSL::HMAC.hexdigest("SHA256", secret, "#{t}.#{raw_body}")
    items.any? { |key, value| key == "v1" && OpenSSL.secure_compare(expected, value.to_s) }
  end
end

# ruby verify_ruby.rb '<X-Axon-Signature value>' < raw-body   (exit 0 when valid)
if $PROGRAM_NAME == __FILE__
  valid = AxonWebhook.valid?(ARGV[0], $stdin.binmode.read, ENV.fetch("AXON_WEBHOOK_SECRET"))
  puts(valid ? "valid" : "invalid")
  exit(valid ? 0 : 1)
end
