//! Budgets in Redis, so that every replica spends from the same one. The read, the decision
//! and the write happen in one Lua script, which Redis runs atomically: two replicas charging
//! the same bucket at the same moment cannot both spend its last points.

use std::sync::LazyLock;

use redis::Script;

use crate::shared_state::SharedRedis;

/// `gcra::charge` (a non-negative increment) and `gcra::refund` (a negative one). The TAT is
/// written with `%.0f` because Lua's `tostring` keeps only 14 significant digits. A bucket's
/// key expires when it would be full again: a full bucket and a missing key are the same.
/// Returns whether the charge was allowed and the debt after it, in microseconds.
static CHARGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local increment = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local allowed = 1
if increment >= 0 then
  if tat + increment - now > tolerance then
    allowed = 0
  else
    tat = tat + increment
  end
else
  tat = math.max(tat + increment, now)
end
if allowed == 1 then
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  else
    redis.call('DEL', KEYS[1])
  end
end
return {allowed, tat - now}
",
    )
});

/// Charges (or, with a negative `increment`, refunds) `bucket`; `None` when Redis did not
/// answer. Returns whether it was allowed and the bucket's debt afterwards, in microseconds.
pub async fn apply(
    redis: &SharedRedis,
    bucket: &str,
    now: i64,
    increment: i64,
    tolerance: i64,
) -> Option<(bool, i64)> {
    let key = redis.key(bucket);
    let (allowed, debt): (i64, i64) = redis
        .run("rate_limit", |mut conn| async move {
            CHARGE.key(key).arg(now).arg(increment).arg(tolerance).invoke_async(&mut conn).await
        })
        .await?;
    Some((allowed == 1, debt))
}
