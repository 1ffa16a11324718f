"""Custom Scrapy signals shared by the spiders, the frontier scheduler and the item writer.

`account_done` is sent by a spider once an account handed out by the frontier is finished:
    crawler.signals.send_catch_log(
        signal=account_done, spider=spider, permalink=permalink, user_id=user_id,
        followers_count=followers_count, status=status)
`status` is one of ACCOUNT_STATUSES. `user_id` / `followers_count` may be None when unknown
(for example `not_found`). Send it exactly once per handed-out account, after the account's
last EdgeItem has been yielded (the frontier waits for those items to leave the pipeline).
"""

account_done = object()

# Sent by the frontier (send_catch_log, synchronous) with `spider`, `permalink`, right before it
# records that account as finished. A writer buffering items (the Parquet pipeline) must make
# everything it holds durable before returning: once recorded, the account is never crawled
# again, so edges still in memory would be lost by a kill -9. If a receiver fails, the frontier
# retries later and does not record the account.
persist_account_edges = object()

STATUS_DONE = "done"
STATUS_SKIPPED = "skipped"  # profile read, followers_count below the frontier's min_followers
STATUS_NOT_FOUND = "not_found"
STATUS_FAILED = "failed"
ACCOUNT_STATUSES = (STATUS_DONE, STATUS_SKIPPED, STATUS_NOT_FOUND, STATUS_FAILED)
