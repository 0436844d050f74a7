# French formats as the documents write them: "24 septembre 2018", "7 927 732,94".
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y à H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
# Months in lower case, written in full, as French typography wants ("juin 2018", "septembre 2019"); dates
# written in the documents are shown alike (acv.values.format_fuzzy_date).
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
