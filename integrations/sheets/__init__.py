"""Access to Google Sheets (the Sheets API v4, read only), beside `integrations.notion`.

- `links`: what people paste as a link, and which spreadsheet and tab it names;
- `client`: the three read endpoints over google-auth's authorised session, with the Notion
  client's retry policy, the shared rate limit and a request count;
- `factory`: the client from the GOOGLE_* settings (the only place that reads them);
- `errors`: what can go wrong, each with a message an organiser can act on.
"""
