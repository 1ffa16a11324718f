"""The four interaction spiders (likes, comments, reposts, follows) and their shared base."""
