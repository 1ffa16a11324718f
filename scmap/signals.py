"""Custom Scrapy signals of the spider <-> frontier contract (scmap/contract.py has the rest).

`account_done` is sent by a spider once an account handed out by the frontier is finished:
    crawler.signals.send_catch_log(
        signal=account_done, spider=spider, permalink=permalink, user_id=user_id,
        followers_count=followers_count, status=status, items=items)
`status` is one of scmap.contract.ACCOUNT_STATUSES. `user_id` / `followers_count` may be None
when unknown (for example `not_found`). `items` is how many items the spider yielded for the
account (all its responses): the frontier records the finish only once that many have left
the item pipeline (item_scraped / item_dropped / item_error). Send it exactly once per
handed-out account, after the account's last item has been yielded.
"""

account_done = object()

# Sent by the frontier (send_catch_log, synchronous) with `spider`, `permalink`, right before it
# records that account as finished. A writer buffering items (the Parquet pipeline) must make
# everything it holds durable before returning: once recorded, the account is never crawled
# again, so edges still in memory would be lost by a kill -9. If a receiver fails, the frontier
# retries later and does not record the account.
persist_account_edges = object()
