package datagen

// regionCountries is the project's own country -> sales region table. It
// covers every country the generated sales use and the country spellings
// older pagila-style exports carry (Kazakstan, Runion, Brunei, Yugoslavia).
func regionCountries() map[string][]string {
	return map[string][]string{
		"Africa": {
			"Angola", "Benin", "Botswana", "Burkina Faso", "Burundi", "Cameroon", "Cape Verde",
			"Central African Republic", "Chad", "Comoros", "Congo", "Congo, The Democratic Republic of the",
			"Côte D'Ivoire", "Equatorial Guinea", "Eritrea", "Ethiopia", "Gabon", "Gambia", "Ghana",
			"Guinea", "Guinea-Bissau", "Kenya", "Lesotho", "Liberia", "Madagascar", "Malawi", "Mali",
			"Mauritius", "Mayotte", "Mozambique", "Namibia", "Niger", "Nigeria", "Reunion", "Runion",
			"Rwanda", "Saint Helena", "Sao Tome and Principe", "Senegal", "Seychelles", "Sierra Leone",
			"South Africa", "South Sudan", "Swaziland", "Tanzania", "Tanzania, United Republic of", "Togo",
			"Uganda", "Zambia", "Zimbabwe", "Bouvet Island", "French Southern Territories",
			"Heard Island and McDonald Islands", "British Indian Ocean Territory",
		},
		"Arab States": {
			"Algeria", "Bahrain", "Djibouti", "Egypt", "Iraq", "Jordan", "Kuwait", "Lebanon", "Libya",
			"Mauritania", "Morocco", "Oman", "Palestinian Territory", "Qatar", "Saudi Arabia", "Somalia",
			"Sudan", "Syrian Arab Republic", "Tunisia", "United Arab Emirates", "Western Sahara", "Yemen",
		},
		"Middle East": {
			"Iran", "Iran, Islamic Republic of", "Israel", "Turkey", "Cyprus",
		},
		"Asia & Pacific": {
			"Afghanistan", "American Samoa", "Antarctica", "Australia", "Bangladesh", "Bhutan", "Brunei",
			"Brunei Darussalam", "Cambodia", "China", "Christmas Island", "Cocos (Keeling) Islands",
			"Cook Islands", "Fiji", "French Polynesia", "Guam", "Hong Kong", "India", "Indonesia", "Japan",
			"Kazakhstan", "Kazakstan", "Kiribati", "Kyrgyzstan", "Lao", "Macau", "Malaysia", "Maldives",
			"Marshall Islands", "Micronesia", "Mongolia", "Myanmar", "Nauru", "Nepal", "New Caledonia",
			"New Zealand", "Niue", "Norfolk Island", "North Korea", "Northern Mariana Islands", "Pakistan",
			"Palau", "Papua New Guinea", "Philippines", "Pitcairn Islands", "Samoa", "Singapore",
			"Solomon Islands", "South Korea", "Sri Lanka", "Taiwan", "Tajikistan", "Thailand", "Timor-Leste",
			"Tokelau", "Tonga", "Turkmenistan", "Tuvalu", "United States Minor Outlying Islands",
			"Uzbekistan", "Vanuatu", "Vietnam", "Wallis and Futuna",
		},
		"Europe": {
			"Aland Islands", "Albania", "Andorra", "Armenia", "Austria", "Azerbaijan", "Belarus", "Belgium",
			"Bosnia and Herzegovina", "Bulgaria", "Croatia", "Czech Republic", "Denmark", "Estonia",
			"Faroe Islands", "Finland", "France", "Georgia", "Germany", "Gibraltar", "Greece", "Greenland",
			"Guernsey", "Holy See (Vatican City State)", "Hungary", "Iceland", "Ireland", "Isle of Man",
			"Italy", "Jersey", "Latvia", "Liechtenstein", "Lithuania", "Luxembourg", "Macedonia", "Malta",
			"Moldova", "Monaco", "Montenegro", "Netherlands", "Norway", "Poland", "Portugal", "Romania",
			"Russian Federation", "San Marino", "Serbia", "Slovakia", "Slovenia", "Spain",
			"Svalbard and Jan Mayen", "Sweden", "Switzerland", "Ukraine", "United Kingdom", "Yugoslavia",
		},
		"Latin America": {
			"Anguilla", "Antigua and Barbuda", "Argentina", "Aruba", "Bahamas", "Barbados", "Belize",
			"Bolivia", "Brazil", "Cayman Islands", "Chile", "Colombia", "Costa Rica", "Cuba", "Dominica",
			"Dominican Republic", "Ecuador", "El Salvador", "Falkland Islands (Malvinas)", "French Guiana",
			"Grenada", "Guadeloupe", "Guatemala", "Guyana", "Haiti", "Honduras", "Jamaica", "Martinique",
			"Mexico", "Montserrat", "Netherlands Antilles", "Nicaragua", "Panama", "Paraguay", "Peru",
			"Puerto Rico", "Saint Barthelemy", "Saint Kitts and Nevis", "Saint Lucia", "Saint Martin",
			"Saint Vincent and the Grenadines", "South Georgia and the South Sandwich Islands", "Suriname",
			"Trinidad and Tobago", "Turks and Caicos Islands", "Uruguay", "Venezuela", "Virgin Islands, U.S.",
		},
		"North America": {
			"Bermuda", "Canada", "Saint Pierre and Miquelon", "United States",
		},
	}
}

// market is a country the generated sales come from: its weight in the
// sales and a few of its cities with their districts.
type market struct {
	country string
	weight  int
	cities  [][2]string // city, district ("" for none)
}

func markets() []market {
	return []market{
		{"India", 60, [][2]string{{"Mumbai", "Maharashtra"}, {"Bangalore", "Karnataka"}, {"Chennai", "Tamil Nadu"}, {"Pune", "Maharashtra"}}},
		{"China", 53, [][2]string{{"Shanghai", "Shanghai"}, {"Chengdu", "Sichuan"}, {"Wuhan", "Hubei"}, {"Xiamen", "Fujian"}}},
		{"United States", 36, [][2]string{{"Austin", "Texas"}, {"Portland", "Oregon"}, {"Columbus", "Ohio"}, {"Tampa", "Florida"}}},
		{"Japan", 31, [][2]string{{"Osaka", "Osaka"}, {"Sapporo", "Hokkaido"}, {"Nagoya", "Aichi"}}},
		{"Mexico", 30, [][2]string{{"Guadalajara", "Jalisco"}, {"Puebla", "Puebla"}, {"Monterrey", "Nuevo Leon"}}},
		{"Brazil", 28, [][2]string{{"Curitiba", "Parana"}, {"Recife", "Pernambuco"}, {"Campinas", "Sao Paulo"}}},
		{"Russian Federation", 28, [][2]string{{"Kazan", "Tatarstan"}, {"Samara", "Samara"}, {"Omsk", "Omsk"}}},
		{"Philippines", 20, [][2]string{{"Cebu City", "Central Visayas"}, {"Davao", "Southern Mindanao"}}},
		{"Turkey", 15, [][2]string{{"Izmir", "Izmir"}, {"Bursa", "Bursa"}, {"Konya", "Konya"}}},
		{"Indonesia", 14, [][2]string{{"Bandung", "West Java"}, {"Surabaya", "East Java"}}},
		{"Nigeria", 13, [][2]string{{"Lagos", "Lagos"}, {"Ibadan", "Oyo"}}},
		{"Argentina", 13, [][2]string{{"Rosario", "Santa Fe"}, {"Cordoba", "Cordoba"}}},
		{"Germany", 12, [][2]string{{"Leipzig", "Saxony"}, {"Bremen", "Bremen"}}},
		{"South Africa", 11, [][2]string{{"Durban", "KwaZulu-Natal"}, {"Pretoria", "Gauteng"}}},
		{"Iran", 10, [][2]string{{"Shiraz", "Fars"}, {"Tabriz", "East Azerbaijan"}}},
		{"Italy", 9, [][2]string{{"Bologna", "Emilia-Romagna"}, {"Turin", "Piedmont"}}},
		{"United Kingdom", 9, [][2]string{{"Leeds", "England"}, {"Glasgow", "Scotland"}}},
		{"Egypt", 8, [][2]string{{"Alexandria", "Alexandria"}, {"Giza", "Giza"}}},
		{"Canada", 8, [][2]string{{"Calgary", "Alberta"}, {"Halifax", "Nova Scotia"}}},
		{"Vietnam", 8, [][2]string{{"Hanoi", "Hanoi"}, {"Da Nang", "Da Nang"}}},
		{"Colombia", 7, [][2]string{{"Medellin", "Antioquia"}, {"Cali", "Valle del Cauca"}}},
		{"Spain", 7, [][2]string{{"Valencia", "Valencia"}, {"Bilbao", "Basque Country"}}},
		{"Saudi Arabia", 6, [][2]string{{"Jeddah", "Makkah"}, {"Dammam", "Eastern Province"}}},
		{"Poland", 6, [][2]string{{"Krakow", "Lesser Poland"}, {"Gdansk", "Pomerania"}}},
		{"Peru", 5, [][2]string{{"Arequipa", "Arequipa"}}},
		{"Kenya", 5, [][2]string{{"Mombasa", "Coast"}}},
		{"Ukraine", 5, [][2]string{{"Lviv", "Lviv"}, {"Odesa", "Odesa"}}},
		{"Australia", 5, [][2]string{{"Perth", "Western Australia"}, {"Adelaide", "South Australia"}}},
		{"Chile", 4, [][2]string{{"Valparaiso", "Valparaiso"}}},
		{"France", 4, [][2]string{{"Lyon", "Auvergne-Rhone-Alpes"}}},
		{"Morocco", 4, [][2]string{{"Fes", "Fes-Meknes"}}},
		{"Taiwan", 4, [][2]string{{"Tainan", "Tainan"}}},
		{"Israel", 3, [][2]string{{"Haifa", "Haifa"}}},
		{"Netherlands", 3, [][2]string{{"Utrecht", "Utrecht"}}},
		{"Kazakstan", 2, [][2]string{{"Almaty", "Almaty"}}},
		{"Runion", 1, [][2]string{{"Saint-Denis", ""}}},
		{"Anguilla", 1, [][2]string{{"The Valley", ""}}},
		{"Holy See (Vatican City State)", 1, [][2]string{{"Vatican City", ""}}},
		{"Tuvalu", 1, [][2]string{{"Funafuti", ""}}},
	}
}
