"""Plan readers: step tables copied out of Word documents (``steptable``), the spreadsheet
template (``spreadsheet``, ``template``), and the pieces they share."""
