"""The monthly dispatch (月度调度): the roof's composition of plans, reports, problems and funding into who is
behind, the four rates, the page, the API, the 调度表 and the 通报, and the reminders."""
